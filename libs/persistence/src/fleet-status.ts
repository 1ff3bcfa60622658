import type { Queryable } from './queryable.js';

/** One table of one tenant, as the ops status page shows it. */
export interface FleetTable {
  customer: string;
  databaseId: string;
  database: string;
  table: string;
  rowCount: string;
  maxVersion: string;
  appliedThrough: string;
  lastModifiedAt: Date | null;
  schemaError: string | null;
  quarantined: number;
  /** Rows of the table's last upload batches, oldest first: the tuning's trend. */
  recentBatchRows: number[];
  /** Failed attempts among the table's last 100 batches (a failure retried later counts too). */
  failedRecently: number;
  /** The newest of those failed attempts' job (its BullMQ id), for a link to it in Bull Board. */
  lastFailed: { jobType: string; jobId: string } | null;
}

/**
 * Every tenant's tables, newest change first, at most `limit` (across tenants: run it in TenantScope.acrossTenants).
 * The batch trend and counts are read per table through their indexes, so the page costs `limit` small look-ups.
 */
export async function fleetStatus(db: Queryable, limit: number): Promise<FleetTable[]> {
  const { rows } = await db.query<FleetTable>(
    `SELECT c.name AS customer, d.id AS "databaseId", d.name AS database, s.table_name AS "table",
            s.row_count::text AS "rowCount", s.max_version::text AS "maxVersion",
            s.applied_through::text AS "appliedThrough", s.last_modified_at AS "lastModifiedAt",
            r.schema_error AS "schemaError",
            (SELECT count(*)::int FROM quarantine q WHERE q.database_id = s.database_id AND q.table_name = s.table_name)
              AS quarantined,
            coalesce((SELECT array_agg(b.rows ORDER BY b.id) FROM (
                SELECT id, rows FROM batch_history h
                 WHERE h.database_id = s.database_id AND h.table_name = s.table_name AND h.job_type = 'upload'
                 ORDER BY id DESC LIMIT 30) b), '{}') AS "recentBatchRows",
            (SELECT count(*)::int FROM (
                SELECT outcome FROM batch_history h
                 WHERE h.database_id = s.database_id AND h.table_name = s.table_name
                 ORDER BY id DESC LIMIT 100) b WHERE b.outcome = 'failed') AS "failedRecently",
            (SELECT jsonb_build_object('jobType', h.job_type, 'jobId', h.job_id) FROM batch_history h
              WHERE h.database_id = s.database_id AND h.table_name = s.table_name AND h.outcome = 'failed'
              ORDER BY id DESC LIMIT 1) AS "lastFailed"
       FROM table_stats s
       JOIN registered_tables r USING (database_id, table_name)
       JOIN databases d ON d.id = s.database_id
       JOIN customers c ON c.id = d.customer_id
      ORDER BY s.last_modified_at DESC NULLS LAST, c.name, d.name, s.table_name
      LIMIT $1`,
    [limit],
  );
  return rows;
}
