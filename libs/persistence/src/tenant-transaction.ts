import type { Pool, PoolClient } from 'pg';
import { isCanonicalUuid, quoteIdent, type TenantRef } from '#contracts';
import { TENANT_ROLE } from './sql-identifiers.js';

/**
 * Runs `work` in one transaction scoped to a tenant: the session switches to the tenant role and names the tenant
 * for row-level security, both transaction-local so a pooled connection never carries a tenant into someone else's
 * transaction. Written as `SET LOCAL`, which Citus passes on to the worker nodes it opens connections to for the
 * transaction (set_config does not reach them: there, row-level security would see no tenant and hide every row).
 */
export async function withTenant<T>(
  pool: Pool,
  tenant: TenantRef,
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(`BEGIN; ${tenantSettings(tenant)}`);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * The tenant scope's settings as one simple query. `SET` takes no parameters, so the id is written in: only a
 * canonical UUID is. `citus.propagate_set_commands` only names a setting on PostgreSQL without Citus.
 */
export function tenantSettings(tenant: TenantRef): string {
  if (!isCanonicalUuid(tenant.databaseId)) throw new Error(`not a canonical database id: ${tenant.databaseId}`);
  return [
    `SET LOCAL citus.propagate_set_commands = 'local'`,
    `SET LOCAL ROLE ${quoteIdent(TENANT_ROLE)}`,
    `SET LOCAL rowferry.database_id = '${tenant.databaseId}'`,
    VALUE_SETTINGS,
  ].join('; ');
}

/**
 * Every transaction that writes, widens or reads tenant values runs in UTC with ISO dates, whatever the server's, the
 * role's or the connection string's settings (and on Citus's worker nodes too: SET LOCAL reaches them): a tenant's
 * timestamp without a time zone, in a column widened to timestamptz for another tenant, is written and read back as
 * that moment in UTC, and a date or timestamp in a column widened to text is written as PostgreSQL prints it in ISO
 * (docs/sources.md, Fleets). An interval and a bytea array print as the agent reads them (docs/sources.md, Types).
 */
export const VALUE_SETTINGS = [
  `SET LOCAL TimeZone = 'UTC'`,
  `SET LOCAL DateStyle = 'ISO, YMD'`,
  `SET LOCAL IntervalStyle = 'postgres'`,
  `SET LOCAL bytea_output = 'hex'`,
].join('; ');
