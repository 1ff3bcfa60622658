import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { databaseUrl, migrate, quoteIdent } from '#persistence';


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
      await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      await c.end();
    },
  };
}
