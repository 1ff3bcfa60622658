import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ops status page reads every tenant's tables, stats and recent batches, as the admin quarantine list already
 * reads every tenant's quarantine: reading only, and only in a transaction that names the all-tenants scope
 * (TenantScope.acrossTenants, behind the admin token).
 */
export class OpsStatusReads1764210000000 implements MigrationInterface {
  name = 'OpsStatusReads1764210000000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of TABLES)
      await q.query(
        `CREATE POLICY admin_reads_all ON ${table} FOR SELECT USING (current_setting('rowferry.scope', true) = 'all-tenants')`,
      );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of TABLES) await q.query(`DROP POLICY admin_reads_all ON ${table}`);
  }
}

const TABLES = ['registered_tables', 'table_stats', 'batch_history'];
