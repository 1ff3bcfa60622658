import { recordAppliedRange, rewindAppliedThrough, type AppliedThrough } from '#sync';
import { fromWireRange, toWireRange, type DeleteRequest, type TenantRef, type WireVersionRange } from '#contracts';
import type { Pool } from 'pg';
import type { Queryable } from './queryable.js';
import { dataTable } from './sql-identifiers.js';

/**
 * Per-table stats, kept current in the same transaction as each job's data change, so the version GET that
 * thousands of agents make every minute reads one row instead of counting.
 */
interface StatsRow {
  applied_through: string;
  pending_ranges: WireVersionRange[];
  timeline: string;
}

/**
 * A job made before the table was rewound (a range delete) reached a worker after it: an upload or delete made
 * for the old timeline, retried by hand say. Applying it would write the lost timeline into the new one.
 */
export class StaleTimelineError extends Error {}

/**
 * Locks the table's stats row for this job's change. A job that says which timeline it was made in is refused once
 * the table has moved on; the lock is taken after the job's rows are written, so a range delete that committed
 * meanwhile is seen here and the whole transaction is rolled back.
 */
async function lockStats(
  db: Queryable,
  tenant: TenantRef,
  table: string,
  timeline: string | undefined,
): Promise<AppliedThrough> {
  const { rows } = await db.query<StatsRow>(
    `SELECT applied_through::text, pending_ranges, timeline::text FROM table_stats WHERE database_id = $1 AND table_name = $2 FOR UPDATE`,
    [tenant.databaseId, table],
  );
  if (rows.length === 0) throw new Error(`table "${table}" is not registered for database ${tenant.databaseId}`);
  if (timeline !== undefined && timeline !== rows[0].timeline)
    throw new StaleTimelineError(
      `made for timeline ${timeline} of table "${table}", which has since been rewound by a range delete (now timeline ${rows[0].timeline}): refused; the agent sends what is current`,
    );
  return {
    through: BigInt(rows[0].applied_through),
    pending: rows[0].pending_ranges.map(fromWireRange),
  };
}

async function writeStats(
  db: Queryable,
  tenant: TenantRef,
  table: string,
  change: {
    rowDelta: number;
    maxVersion: bigint | 'recompute';
    applied: AppliedThrough;
    modified: boolean;
    resetCount?: boolean;
    newTimeline?: boolean;
  },
): Promise<void> {
  // Read first, not in a subquery of the UPDATE: on Citus the stats are a local table and the rows distributed, and
  // such an UPDATE plans no task on the workers and silently changes nothing.
  const recomputed =
    change.maxVersion === 'recompute'
      ? (
          await db.query<{ max: string }>(
            `SELECT coalesce(max(_rf_version), 0)::text AS max FROM ${dataTable(table)} WHERE _rf_database = $1`,
            [tenant.databaseId],
          )
        ).rows[0].max
      : undefined;
  await db.query(
    `UPDATE table_stats
        SET row_count = CASE WHEN $8 THEN 0 ELSE row_count + $3::bigint END,
            max_version = CASE WHEN $10::bigint IS NOT NULL THEN $10::bigint ELSE GREATEST(max_version, $6::bigint) END,
            applied_through = $4::bigint,
            pending_ranges = $5::jsonb,
            last_modified_at = CASE WHEN $7 THEN now() ELSE last_modified_at END,
            timeline = timeline + CASE WHEN $9 THEN 1 ELSE 0 END
      WHERE database_id = $1 AND table_name = $2`,
    [
      tenant.databaseId,
      table,
      change.rowDelta,
      change.applied.through.toString(),
      JSON.stringify(change.applied.pending.map(toWireRange)),
      change.maxVersion === 'recompute' ? null : change.maxVersion.toString(),
      change.modified,
      change.resetCount ?? false,
      change.newTimeline ?? false,
      recomputed ?? null,
    ],
  );
}

export async function recordUpload(
  db: Queryable,
  tenant: TenantRef,
  table: string,
  u: {
    inserted: number;
    applied: number;
    /** Rows removed by the batch's deleted keys. */
    deleted: number;
    maxVersion: bigint | undefined | 'recompute';
    range?: WireVersionRange;
    timeline?: string;
  },
): Promise<void> {
  let applied = await lockStats(db, tenant, table, u.timeline);
  if (u.range) applied = recordAppliedRange(applied, { after: BigInt(u.range.after), upTo: BigInt(u.range.upTo) });
  await writeStats(db, tenant, table, {
    rowDelta: u.inserted - u.deleted,
    maxVersion: u.maxVersion ?? 0n,
    applied,
    modified: u.applied + u.deleted > 0,
  });
}

/** A range delete ('above' or 'all') rewinds the watermark and starts a new timeline. */
export async function recordDelete(
  db: Queryable,
  tenant: TenantRef,
  table: string,
  request: DeleteRequest,
  deleted: number,
): Promise<void> {
  let applied = await lockStats(db, tenant, table, request.timeline);
  if (request.mode === 'above') applied = rewindAppliedThrough(applied, BigInt(request.version));
  if (request.mode === 'all') applied = { through: 0n, pending: [] };
  await writeStats(db, tenant, table, {
    rowDelta: -deleted,
    maxVersion: 'recompute',
    applied,
    modified: deleted > 0,
    resetCount: request.mode === 'all',
    newTimeline: request.mode !== 'keys',
  });
}

/** Jobs waiting or running for a database, per table, and those that count for every table. */
export interface PendingJobs {
  byTable: Record<string, number>;
  everyTable: number;
}

/**
 * Every registered table of the database (or one), with its stats, its refused definition's error, its quarantined
 * rows and its pending jobs: what each agent pass starts with. One prepared call of `rowferry_standings` (migration
 * StandingsFunction), which names the tenant for row-level security itself, so it needs no transaction around it;
 * called on the pool, never inside another transaction, which it would leave naming this tenant.
 *
 * The answer is the JSON PostgreSQL writes (VersionInfo[], or one table's VersionInfo; undefined when that table is
 * not registered), for the API to send as it is: parsing fifty tables' rows and writing them again cost the API a
 * fifth of the call, on the thread every request waits for (docs/benchmarks.md, Version GET under load).
 */
export async function readStandings(
  pool: Pool,
  tenant: TenantRef,
  pending: PendingJobs,
  table?: string,
): Promise<string | undefined> {
  const answer = table === undefined ? `coalesce(json_agg(s ORDER BY s."table"), '[]')` : 'row_to_json(s)';
  const { rows } = await pool.query<{ answer: string }>({
    name: table === undefined ? 'rowferry_standings' : 'rowferry_standing',
    text: `SELECT ${answer}::text AS answer FROM rowferry_standings($1, $2, $3, $4) s`,
    values: [tenant.databaseId, table ?? null, pending.byTable, pending.everyTable],
  });
  return rows[0]?.answer;
}
