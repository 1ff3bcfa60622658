import type { Pool, PoolClient } from 'pg';
import type { TenantRef } from '#contracts';
import { TENANT_ROLE } from './sql-identifiers.js';

/**
 * Runs `work` in one transaction scoped to a tenant: the session switches to the tenant role and names the tenant
 * for row-level security, both transaction-local (set_config(…, true)) so a pooled connection never carries a
 * tenant into someone else's transaction, and so the same code runs on Citus.
 */
export async function withTenant<T>(
  pool: Pool,
  tenant: TenantRef,
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('role', $1, true), set_config('rowferry.database_id', $2, true)`, [
      TENANT_ROLE,
      tenant.databaseId,
    ]);
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
