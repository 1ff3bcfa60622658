import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where each table of a database stands (the version GET, which every agent pass starts with) as one function, so
 * the API reads it in one prepared call: PostgreSQL keeps the function's plan, where a statement sent as text was
 * planned again on every call (half of its cost), and no transaction is opened around it. The jobs pending for each
 * table (kept in Redis) come in as arguments, so the answer needs no more work in the API. The function names the
 * tenant for row-level security itself (transaction-local, so it ends with the call); it runs with its caller's
 * rights, so the policies apply as to any statement of the API. A table's refused definition and its quarantined
 * rows are read once for the database (each usually none), not joined per table: a join's plan rests on statistics,
 * and without them (new tables) the planner read every registered table once per table.
 */
export class StandingsFunction1764220000000 implements MigrationInterface {
  name = 'StandingsFunction1764220000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE FUNCTION rowferry_standings(db uuid, only_table text, pending jsonb, pending_every int)
      RETURNS TABLE ("table" text, "maxVersion" text, "appliedThrough" text, "rowCount" text, "lastModifiedAt" text,
                     "schemaError" text, timeline text, "backfillFrom" text, quarantined int, "pendingJobs" int)
      LANGUAGE plpgsql SECURITY INVOKER AS $$
      BEGIN
        PERFORM set_config('rowferry.database_id', db::text, true);
        RETURN QUERY
        SELECT s.table_name, s.max_version::text, s.applied_through::text, s.row_count::text,
               to_char(s.last_modified_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               (SELECT jsonb_object_agg(r.table_name, r.schema_error) FROM registered_tables r
                 WHERE r.database_id = db AND r.schema_error IS NOT NULL) ->> s.table_name,
               s.timeline::text, s.backfill_from::text,
               coalesce(((SELECT jsonb_object_agg(c.table_name, c.n)
                            FROM (SELECT x.table_name, count(*) AS n FROM quarantine x
                                   WHERE x.database_id = db GROUP BY x.table_name) c) ->> s.table_name)::int, 0),
               coalesce((pending ->> s.table_name)::int, 0) + pending_every
          FROM table_stats s
         WHERE s.database_id = db AND (only_table IS NULL OR s.table_name = only_table)
         ORDER BY s.table_name;
      END $$`);
    await q.query(`REVOKE ALL ON FUNCTION rowferry_standings(uuid, text, jsonb, int) FROM PUBLIC`);
    await q.query(`GRANT EXECUTE ON FUNCTION rowferry_standings(uuid, text, jsonb, int) TO rowferry_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION rowferry_standings(uuid, text, jsonb, int)`);
  }
}
