import pg from 'pg';
import { quoteIdent } from '#contracts';

/**
 * The login role the API and workers connect as: a member of `rowferry_app` (made by the migrations) and nothing
 * else, so it owns nothing and reads tenants' rows only through a tenant scope (docs/security.md). Created if
 * missing; its password is set when one is given (none: trust or certificate authentication).
 */
export async function ensureServiceRole(migratedUrl: string, name: string, password?: string): Promise<void> {
  const c = new pg.Client({ connectionString: migratedUrl });
  await c.connect();
  try {
    const role = quoteIdent(name);
    const { rowCount } = await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
    if (!rowCount) {
      await c.query(`CREATE ROLE ${role} LOGIN`).catch((err: { code?: string }) => {
        if (err.code !== '42710' && err.code !== '23505') throw err; // created meanwhile by a parallel migrate
      });
    }
    if (password !== undefined) await c.query(`ALTER ROLE ${role} PASSWORD ${c.escapeLiteral(password)}`);
    await c.query(`GRANT rowferry_app TO ${role}`);
  } finally {
    await c.end();
  }
}
