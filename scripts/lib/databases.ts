import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { quoteIdent } from '#contracts';
import { databaseUrl, ensureServiceRole, migrate } from '#persistence';

/** A fresh, migrated remote database for one test file, dropped by the returned function. */
export async function freshRemoteDatabase(label: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = databaseUrl();
  const name = `rowferry_test_${label}_${randomBytes(4).toString('hex')}`;
  const url = new URL(base);
  url.pathname = `/${name}`;
  await migrate(url.toString());
  return {
    url: url.toString(),
    drop: async () => {
      const admin = new URL(base);
      admin.pathname = '/postgres';
      const c = new pg.Client({ connectionString: admin.toString() });
      await c.connect();
      // A pool's end() resolves before its connections have closed: let them go of their own accord, or FORCE would
      // kill them mid-goodbye and their clients would raise the error in whatever test runs next.
      for (let waited = 0; waited < 3000; waited += 50) {
        const { rows } = await c.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
        if (rows[0].n === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** The login role the services use in tests, demos and benchmarks. */
const SERVICE_ROLE = 'rowferry_service';

/**
 * The URL the API and workers connect with: the same database as a login member of `rowferry_app`, owning nothing,
 * as a deployment sets them up (docs/security.md); trust authentication, as for the rest of the local servers.
 */
export async function serviceUrl(migratedUrl: string): Promise<string> {
  await ensureServiceRole(migratedUrl, SERVICE_ROLE);
  const url = new URL(migratedUrl);
  url.username = SERVICE_ROLE;
  url.password = '';
  return url.toString();
}

/** A source database on a PostgreSQL server (the admin URL names its `postgres` database). */
export async function createPgDatabase(adminUrl: string, name: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  await c.query(`CREATE DATABASE ${quoteIdent(name)}`);
  await c.end();
}

/** A source database on a MariaDB server. */
export async function createMariaDatabase(serverUrl: string, name: string): Promise<void> {
  const c = await mysql.createConnection(serverUrl);
  await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  await c.end();
}

/**
 * A fresh source database on this machine's PostgreSQL (DATABASE_URL's server) or MariaDB (MYSQL_URL) server, for
 * one test file or benchmark: its URL, and `drop` to remove it.
 */
export async function scratchDatabase(
  engine: 'postgres' | 'mariadb',
  label: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `rowferry_${label}_${randomBytes(4).toString('hex')}`;
  if (engine === 'postgres') {
    const admin = databaseUrl().replace(/\/[^/]*$/, '/postgres');
    await createPgDatabase(admin, name);
    return {
      url: admin.replace(/\/postgres$/, `/${name}`),
      drop: async () => {
        const c = new pg.Client({ connectionString: admin });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
        await c.end();
      },
    };
  }
  const server = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
  await createMariaDatabase(server, name);
  return {
    url: `${server}/${name}`,
    drop: async () => {
      const c = await mysql.createConnection(server);
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}
