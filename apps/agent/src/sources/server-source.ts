import { SafeWatermark, type Marker } from '#sync';
import { MARKERS_KEPT, TrackedSource } from './tracked-source.js';

/** One transaction on a server engine's connection, rows as arrays. */
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
 * What the server engines (PostgreSQL, MySQL/MariaDB) share beyond every source's skeleton: a pool of connections,
 * a counter that hands out versions before commit (hence a safe watermark proven from the transactions that were
 * running), and markers written in a transaction of their own.
 */
export abstract class ServerSource<V> extends TrackedSource<V> {
  private readonly watermark = new SafeWatermark<readonly string[]>();
  protected abstract readonly markerSql: MarkerStatements;
  /** The engine's error codes for a missing table or column: tracking is not installed. */
  protected abstract readonly missingCodes: readonly string[];

  /**
   * The safe watermark after a reading of the counter and of the transactions running just after it (each engine's
   * ids for them): every reading none of whose transactions runs any more is safe (at once when none ran).
   */
  protected advanceWatermark(counter: bigint, running: readonly string[]): bigint {
    const now = new Set(running);
    return this.watermark.advance(counter, running, (then) => !then.some((id) => now.has(id)));
  }

  /** A transaction on a connection of the pool, not yet begun. */
  protected abstract transaction(): Promise<ServerTransaction>;
  protected abstract endPool(): Promise<void>;

  /**
   * Writes a restore marker only if the newest local marker is still `expected`, in one transaction; false when it
   * is not (the database changed under the agent, restored mid-pass). The table keeps only recent markers.
   */
  async writeMarker(marker: Marker, expected: string | undefined): Promise<boolean> {
    const tx = await this.transaction();
    try {
      await tx.begin();
      let newest: unknown[][] = [];
      for (const statement of this.markerSql.lockNewest) newest = await tx.query(statement);
      if (newest[0]?.[0] !== expected) {
        await tx.rollback();
        return false;
      }
      await tx.query(this.markerSql.insert, [marker.id, marker.watermark.toString()]);
      await tx.query(this.markerSql.trim, [MARKERS_KEPT]);
      await tx.commit();
      return true;
    } catch (err) {
      await tx.rollback().catch(() => undefined);
      throw err;
    } finally {
      tx.release();
    }
  }

  /** The counter was rewound with the data: what was proven safe of the old timeline says nothing now, nor do deletes
   * logged above it. */
  async resetAfterRestore(): Promise<void> {
    this.watermark.reset();
    await this.forgetDeletesAboveCounter();
  }

  protected isTrackingMissing(err: unknown): boolean {
    return this.missingCodes.includes((err as { code?: string }).code ?? '');
  }

  async close(): Promise<void> {
    await this.endPool();
  }
}

/**
 * The counter's sequence hands out cached values (someone altered it): a session then gives out versions the counter
 * never showed, so neither the safe watermark nor an idle pass could see them. Said on every pass until `track` runs.
 */
export function cachedCounter(sequence: string, cache: string): Error {
  return new Error(
    `rowferry's version counter ${sequence} hands out cached values (cache ${cache}): versions would be given out of its sight; run "rowferry-agent track" again, which sets it back to one value at a time`,
  );
}
