import type { Marker } from '#sync';
import { MARKERS_KEPT } from './tracked-source.js';

/** One transaction on a server engine's connection (PostgreSQL, MySQL/MariaDB), rows as arrays. */
export interface ServerTransaction {
  begin(): Promise<void>;
  query(sql: string, params?: unknown[]): Promise<unknown[][]>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** Gives the connection back, whatever happened. */
  release(): void;
}

/** A server engine's marker statements, in its own SQL. */
export interface MarkerStatements {
  /** Run in order; the last one answers the newest marker's id, locked so nothing comes between compare and write. */
  lockNewest: string[];
  /** Parameters: id, watermark. */
  insert: string;
  /** Deletes all but the newest markers; parameter: how many to keep. */
  trim: string;
}

/**
 * Writes a restore marker only if the newest local marker is still `expected`, in one transaction; false when it is
 * not (the database changed under the agent, restored mid-pass). The table keeps only recent markers.
 */
export async function compareAndSetMarker(
  tx: ServerTransaction,
  sql: MarkerStatements,
  marker: Marker,
  expected: string | undefined,
): Promise<boolean> {
  try {
    await tx.begin();
    let newest: unknown[][] = [];
    for (const statement of sql.lockNewest) newest = await tx.query(statement);
    if (newest[0]?.[0] !== expected) {
      await tx.rollback();
      return false;
    }
    await tx.query(sql.insert, [marker.id, marker.watermark.toString()]);
    await tx.query(sql.trim, [MARKERS_KEPT]);
    await tx.commit();
    return true;
  } catch (err) {
    await tx.rollback().catch(() => undefined);
    throw err;
  } finally {
    tx.release();
  }
}
