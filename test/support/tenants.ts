import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { quoteIdent } from '#contracts';
import { databaseUrl } from '#persistence';
import { MariadbTenant } from '../../scripts/lib/chaos/mariadb-tenant.js';
import { PostgresTenant } from '../../scripts/lib/chaos/postgres-tenant.js';
import { SqliteTenant } from '../../scripts/lib/chaos/sqlite-tenant.js';
import type { ChaosTenant } from '../../scripts/lib/chaos/tenant.js';
import { createMariaDatabase, createPgDatabase } from '../../scripts/lib/databases.js';

export const ENGINES = ['sqlite', 'postgres', 'mariadb'] as const;
export type Engine = (typeof ENGINES)[number];

const MYSQL_SERVER = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';

/**
 * A source database of one engine on this machine's shared servers (three tables with integer, composite and text
 * keys and awkward values: scripts/lib/chaos/tenant.ts), made for one test file and dropped after it.
 */
export async function tenantOf(
  engine: Engine,
  dir: string,
): Promise<{ tenant: ChaosTenant; drop: () => Promise<void> }> {
  const name = `rowferry_src_${randomBytes(4).toString('hex')}`;
  if (engine === 'sqlite') return { tenant: new SqliteTenant(engine, dir, 'shop'), drop: async () => undefined };
  if (engine === 'postgres') {
    const admin = databaseUrl().replace(/\/[^/]*$/, '/postgres');
    await createPgDatabase(admin, name);
    return {
      tenant: new PostgresTenant(engine, dir, 'pg', admin.replace(/\/postgres$/, `/${name}`)),
      drop: async () => {
        const c = new pg.Client({ connectionString: admin });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
        await c.end();
      },
    };
  }
  await createMariaDatabase(MYSQL_SERVER, name);
  return {
    tenant: new MariadbTenant(engine, dir, 'my', `${MYSQL_SERVER}/${name}`),
    drop: async () => {
      const c = await mysql.createConnection(MYSQL_SERVER);
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}
