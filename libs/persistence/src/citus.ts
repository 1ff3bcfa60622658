import { quoteIdent } from '#contracts';
import type { Queryable } from './queryable.js';
import { DATA_SCHEMA, OWNER_ROLE, TENANT_ROLE } from './sql-identifiers.js';

/** True in SQL when this database runs Citus (docs/operations.md, Citus). */
export const CITUS_PRESENT_SQL = `EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')`;

export async function onCitus(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ citus: boolean }>(`SELECT ${CITUS_PRESENT_SQL} AS citus`);
  return rows[0].citus;
}

/**
 * What Citus needs beyond the migrations, run after them on every `migrate` (idempotent; nothing without Citus):
 * - the roles the service switches to (the owner for registration's DDL, the tenant role for jobs) may log in, since
 *   the coordinator opens its connections to the worker nodes as the role the transaction runs as. They have no
 *   password of their own here: the nodes' pg_hba.conf (or Citus' pg_dist_authinfo) decides how the coordinator
 *   proves who it is, and no one else needs to reach the workers (docs/security.md, Citus);
 * - every data table is distributed by tenant, those made before Citus was there too (new ones are distributed as
 *   they are created, ensureDataTable). The control tables stay local on the coordinator.
 */
export async function prepareCitus(db: Queryable): Promise<void> {
  if (!(await onCitus(db))) return;
  for (const role of [OWNER_ROLE, TENANT_ROLE]) await db.query(`ALTER ROLE ${quoteIdent(role)} LOGIN`);
  const { rows } = await db.query<{ table: string }>(
    `SELECT c.oid::regclass::text AS table FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND NOT EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = c.oid)`,
    [DATA_SCHEMA],
  );
  for (const { table } of rows) await db.query(`SELECT create_distributed_table($1, '_rf_database')`, [table]);
}
