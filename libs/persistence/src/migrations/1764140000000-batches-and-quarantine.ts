import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Batch history (for batch-size tuning and ops) and the quarantine of rows the target refused. */
export class BatchesAndQuarantine1764140000000 implements MigrationInterface {
  name = 'BatchesAndQuarantine1764140000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE batch_history (
      id bigserial PRIMARY KEY,
      database_id uuid NOT NULL,
      customer_id uuid NOT NULL,
      table_name text NOT NULL,
      job_type text NOT NULL,
      job_id text NOT NULL,
      attempt int NOT NULL,
      rows int NOT NULL,
      bytes bigint NOT NULL,
      duration_ms int NOT NULL,
      outcome text NOT NULL CHECK (outcome IN ('applied', 'partial', 'failed')),
      quarantined int NOT NULL DEFAULT 0,
      error_class text,
      error text,
      at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE INDEX batch_history_table ON batch_history (database_id, table_name, id DESC)`);
    // json, not jsonb: the row as sent must be kept exactly, NUL characters included.
    await q.query(`CREATE TABLE quarantine (
      id bigserial PRIMARY KEY,
      database_id uuid NOT NULL,
      customer_id uuid NOT NULL,
      table_name text NOT NULL,
      row_key text NOT NULL,
      version bigint NOT NULL,
      row json NOT NULL,
      error text NOT NULL,
      first_seen timestamptz NOT NULL DEFAULT now(),
      last_seen timestamptz NOT NULL DEFAULT now(),
      attempts int NOT NULL DEFAULT 1,
      UNIQUE (database_id, table_name, row_key, version))`);
    await q.query(`ALTER TABLE quarantine ENABLE ROW LEVEL SECURITY`);
    await q.query(`CREATE POLICY tenant_isolation ON quarantine
      USING (database_id = rowferry_current_tenant()) WITH CHECK (database_id = rowferry_current_tenant())`);
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON quarantine TO rowferry_tenant`);
    await q.query(`GRANT USAGE ON SEQUENCE quarantine_id_seq TO rowferry_tenant`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE quarantine, batch_history`);
  }
}
