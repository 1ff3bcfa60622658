import type { RecordedMarker } from '#sync';
import type { Queryable } from './queryable.js';

/**
 * Each database's restore markers (docs/sync-model.md, Restores). The newest marker is the live one with the highest
 * seq; a restore to a marker retires every later one and caps its watermark there, since what those timelines wrote
 * above it is gone. A database keeps about its newest MARKERS_KEPT markers: a restore to an older backup finds no
 * usable marker and is verified instead.
 */
const MARKERS_KEPT = 10_000;
const PRUNE_EVERY = 1000n;

export async function recordMarker(
  db: Queryable,
  databaseId: string,
  marker: { id: string; watermark: string },
): Promise<void> {
  const { rows } = await db.query<{ seq: string }>(
    `INSERT INTO database_markers (database_id, marker_id, watermark) VALUES ($1, $2, $3) ON CONFLICT (database_id, marker_id) DO NOTHING RETURNING seq::text`,
    [databaseId, marker.id, marker.watermark],
  );
  // Pruning reads MARKERS_KEPT index entries: done on one insert in PRUNE_EVERY (seq is global, so every database
  // gets its turn), not on each of the thousands a minute.
  if (rows.length && BigInt(rows[0].seq) % PRUNE_EVERY === 0n)
    await db.query(
      `DELETE FROM database_markers WHERE database_id = $1
          AND seq < (SELECT min(seq) FROM (SELECT seq FROM database_markers WHERE database_id = $1 ORDER BY seq DESC LIMIT ${MARKERS_KEPT}) newest)`,
      [databaseId],
    );
}

/** Whether the database has any marker, and the server's record of one marker. */
export async function markerFacts(
  db: Queryable,
  databaseId: string,
  markerId: string | undefined,
): Promise<{ serverHasMarkers: boolean; recorded: RecordedMarker | undefined }> {
  const { rows } = await db.query<{
    any: boolean;
    id: string | null;
    watermark: string | null;
    newest: boolean | null;
  }>(
    `SELECT EXISTS (SELECT 1 FROM database_markers WHERE database_id = $1) AS any, m.marker_id AS id, m.watermark::text AS watermark,
            m.seq = (SELECT max(seq) FROM database_markers WHERE database_id = $1 AND NOT retired) AND NOT m.retired AS newest
       FROM (SELECT 1) one LEFT JOIN database_markers m ON m.database_id = $1 AND m.marker_id = $2::uuid`,
    [databaseId, markerId ?? null],
  );
  const r = rows[0];
  return {
    serverHasMarkers: r.any,
    recorded: r.id === null ? undefined : { id: r.id, watermark: BigInt(r.watermark!), newest: r.newest === true },
  };
}

/**
 * A restore to this marker was handled: the markers written after it are retired (their watermarks capped at its
 * own), and it is live again (it may itself have been retired by an earlier restore), so it is the newest.
 * False when the database has no such marker.
 */
export async function restoredToMarker(db: Queryable, databaseId: string, markerId: string): Promise<boolean> {
  await db.query(
    `UPDATE database_markers later SET retired = true, watermark = least(later.watermark, m.watermark)
       FROM database_markers m
      WHERE m.database_id = $1 AND m.marker_id = $2 AND later.database_id = $1 AND later.seq > m.seq`,
    [databaseId, markerId],
  );
  const { rows } = await db.query(
    `UPDATE database_markers SET retired = false WHERE database_id = $1 AND marker_id = $2 RETURNING 1`,
    [databaseId, markerId],
  );
  return rows.length > 0;
}
