import { recordAppliedRange, rewindAppliedThrough, type AppliedThrough } from '#sync';
import { fromWireRange, toWireRange, type DeleteRequest, type TenantRef, type WireVersionRange } from '#contracts';
import type { Queryable } from './queryable.js';
import { dataTable } from './sql-identifiers.js';
import { tenantLiterals } from './sql-literals.js';

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

/** Where a table stands remotely, as the version GET answers it (without its pending jobs, which live in Redis). */
export interface TableStanding {
  table: string;
  maxVersion: string;
  appliedThrough: string;
  rowCount: string;
  lastModifiedAt: string | null;
  schemaError: string | null;
  timeline: string;
  backfillFrom: string | null;
  quarantined: number;
}

/**
 * Every registered table of the database (or one), with its stats, its refused definition's error and its
 * quarantined rows, in one statement: what each agent pass starts with, so its cost does not grow with the tables.
 * The other two are read by key for each table (their primary key, and the quarantine's index) rather than joined:
 * a join's plan rests on statistics, and without them (new tables, a busy fleet) the planner chose a nested loop
 * that read every registered table once per table, four times the statement's cost at 50 tables.
 * The statement has its values written in (it goes in one round trip with its transaction: TenantScope.read), so it
 * takes only a canonical uuid and a table name that is an identifier, and refuses anything else.
 */
export function standingsSql(tenant: TenantRef, table?: string): string {
  const literal = tenantLiterals(tenant, table);
  const db = literal.database;
  return `SELECT s.table_name AS "table", s.max_version::text AS "maxVersion", s.applied_through::text AS "appliedThrough",
            s.row_count::text AS "rowCount",
            to_char(s.last_modified_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "lastModifiedAt",
            (SELECT r.schema_error FROM registered_tables r WHERE r.database_id = ${db} AND r.table_name = s.table_name)
              AS "schemaError",
            s.timeline::text AS timeline, s.backfill_from::text AS "backfillFrom",
            (SELECT count(*) FROM quarantine q WHERE q.database_id = ${db} AND q.table_name = s.table_name)::int
              AS quarantined
       FROM table_stats s
      WHERE s.database_id = ${db}${literal.table === undefined ? '' : ` AND s.table_name = ${literal.table}`}
      ORDER BY s.table_name`;
}
