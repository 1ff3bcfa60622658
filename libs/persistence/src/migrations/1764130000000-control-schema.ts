import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The control schema, the data schema, and the tenant role that row-level security applies to. */
export class ControlSchema1764130000000 implements MigrationInterface {
  name = 'ControlSchema1764130000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rowferry_tenant') THEN CREATE ROLE rowferry_tenant NOLOGIN; END IF;
    END $$`);
    // The connecting role must be able to switch to the tenant role (a superuser always can).
    await q.query(`DO $$ BEGIN
      IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN EXECUTE format('GRANT rowferry_tenant TO %I', current_user); END IF;
    END $$`);
    await q.query(`CREATE SCHEMA rowferry_data`);
    await q.query(`GRANT USAGE ON SCHEMA rowferry_data TO rowferry_tenant`);
    // NULL (no rows) when no tenant is set: isolation fails closed.
    await q.query(`CREATE FUNCTION rowferry_current_tenant() RETURNS uuid LANGUAGE sql STABLE
      AS $$ SELECT NULLIF(current_setting('rowferry.database_id', true), '')::uuid $$`);
    await q.query(`CREATE TABLE customers (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL,
      enrollment_key_hash text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE databases (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      customer_id uuid NOT NULL REFERENCES customers(id),
      name text NOT NULL,
      secret_hash text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE INDEX databases_customer ON databases (customer_id)`);
    await q.query(`CREATE TABLE registered_tables (
      database_id uuid NOT NULL REFERENCES databases(id),
      table_name text NOT NULL,
      columns jsonb NOT NULL,
      key_columns jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (database_id, table_name))`);
    await q.query(`CREATE TABLE table_stats (
      database_id uuid NOT NULL,
      table_name text NOT NULL,
      customer_id uuid NOT NULL,
      row_count bigint NOT NULL DEFAULT 0,
      max_version bigint NOT NULL DEFAULT 0,
      applied_through bigint NOT NULL DEFAULT 0,
      pending_ranges jsonb NOT NULL DEFAULT '[]',
      last_modified_at timestamptz,
      PRIMARY KEY (database_id, table_name),
      FOREIGN KEY (database_id, table_name) REFERENCES registered_tables (database_id, table_name))`);
    await q.query(`ALTER TABLE table_stats ENABLE ROW LEVEL SECURITY`);
    await q.query(`CREATE POLICY tenant_isolation ON table_stats
      USING (database_id = rowferry_current_tenant()) WITH CHECK (database_id = rowferry_current_tenant())`);
    await q.query(`GRANT SELECT, UPDATE ON table_stats TO rowferry_tenant`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE table_stats, registered_tables, databases, customers`);
    await q.query(`DROP FUNCTION rowferry_current_tenant()`);
    await q.query(`DROP SCHEMA rowferry_data CASCADE`);
  }
}
