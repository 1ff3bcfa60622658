import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables that hold one database's rows, each with a `database_id` column the policy checks. */
const TENANT_CONTROL_TABLES = ['registered_tables', 'table_stats', 'quarantine', 'batch_history', 'database_markers'];

/**
 * Least privilege (docs/security.md). The API and workers log in as a member of `rowferry_app`, which owns nothing:
 * - `rowferry_owner` (no login) owns the data schema and its tables; registration's DDL switches to it for the
 *   statement's transaction, and nothing else runs as it;
 * - `rowferry_app` (no login, NOINHERIT: it does not pass the owner's or the tenant role's rights on to its members
 *   unless they switch role) may read and write the control tables;
 * - `rowferry_tenant` (no login) is what every tenant-scoped transaction switches to.
 * Every table holding a tenant's rows has row-level security FORCEd, so even its owner sees nothing without a
 * tenant named: a query that forgets the tenant scope reads nothing instead of everything. The one cross-tenant
 * read (the admin's quarantine list) names its scope explicitly.
 */
export class LeastPrivilege1764190000000 implements MigrationInterface {
  name = 'LeastPrivilege1764190000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rowferry_owner') THEN CREATE ROLE rowferry_owner NOLOGIN; END IF;
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rowferry_app') THEN CREATE ROLE rowferry_app NOLOGIN NOINHERIT; END IF;
    END $$`);
    // (UPDATE: a new database locks its customer's row while counting.)
    // The migrating role hands ownership over, so it must be a member (a superuser always is).
    await q.query(`DO $$ BEGIN
      IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN EXECUTE format('GRANT rowferry_owner TO %I', current_user); END IF;
    END $$`);
    await q.query(`GRANT rowferry_owner, rowferry_tenant TO rowferry_app`);
    await q.query(`ALTER SCHEMA rowferry_data OWNER TO rowferry_owner`);
    await q.query(`DO $$
      DECLARE t record;
      BEGIN
        FOR t IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = 'rowferry_data' AND c.relkind IN ('r', 'p') LOOP
          EXECUTE format('ALTER TABLE rowferry_data.%I OWNER TO rowferry_owner', t.relname);
          IF t.relkind = 'p' THEN EXECUTE format('ALTER TABLE rowferry_data.%I FORCE ROW LEVEL SECURITY', t.relname); END IF;
        END LOOP;
      END $$`);

    await q.query(`GRANT SELECT, INSERT, UPDATE ON customers, databases TO rowferry_app`);
    await q.query(
      `GRANT SELECT, INSERT, UPDATE, DELETE ON ${TENANT_CONTROL_TABLES.join(', ')} TO rowferry_app, rowferry_tenant`,
    );
    await q.query(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO rowferry_app, rowferry_tenant`);
    for (const table of ['registered_tables', 'batch_history', 'database_markers']) {
      await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await q.query(
        `CREATE POLICY tenant_isolation ON ${table} USING (database_id = rowferry_current_tenant()) WITH CHECK (database_id = rowferry_current_tenant())`,
      );
    }
    await q.query(
      `CREATE POLICY admin_reads_all ON quarantine FOR SELECT USING (current_setting('rowferry.scope', true) = 'all-tenants')`,
    );
    for (const table of TENANT_CONTROL_TABLES) await q.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of TENANT_CONTROL_TABLES) await q.query(`ALTER TABLE ${table} NO FORCE ROW LEVEL SECURITY`);
    await q.query(`DROP POLICY admin_reads_all ON quarantine`);
    for (const table of ['registered_tables', 'batch_history', 'database_markers']) {
      await q.query(`DROP POLICY tenant_isolation ON ${table}`);
      await q.query(`ALTER TABLE ${table} DISABLE ROW LEVEL SECURITY`);
    }
  }
}
