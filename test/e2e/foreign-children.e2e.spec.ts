import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { SyncAgent } from '../../apps/agent/src/agent.js';
import { configuredAgent, type Credentials } from '../../scripts/lib/agent-config.js';
import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';
import { syncRound } from '../support/agent.js';
import { postgresSource, type SourceDatabase } from '../support/source-databases.js';

/**
 * A foreign table among a parent's inheritance children (an archive kept in another database through postgres_fdw)
 * can take no version column and no trigger sees its writes (docs/sources.md, Writes that escape the triggers): `track`
 * refuses the parent in column mode, naming the child and the way out; with a side table, the child's rows are given
 * versions where a round of the difference check starts, and travel.
 */
describe('a foreign table among inheritance children', () => {
  let stack: Stack;
  let remote: pg.Client;
  let database: SourceDatabase;
  let source: pg.Client;
  let dir: string;
  let creds: Credentials;
  let agent: SyncAgent | undefined;

  beforeAll(async () => {
    stack = await startStack('foreign', 1);
    remote = new pg.Client({ connectionString: stack.databaseUrl });
    await remote.connect();
    database = await postgresSource('rowferry_foreign');
    source = new pg.Client({ connectionString: database.url });
    await source.connect();
    const url = new URL(database.url);
    await source.query(`
      CREATE EXTENSION postgres_fdw;
      CREATE SERVER here FOREIGN DATA WRAPPER postgres_fdw
        OPTIONS (host '${url.hostname}', port '${url.port || 5432}', dbname '${url.pathname.slice(1)}');
      CREATE USER MAPPING FOR CURRENT_USER SERVER here OPTIONS (user '${decodeURIComponent(url.username) || 'postgres'}');
      CREATE TABLE archive_rows (id integer, note text);
      INSERT INTO archive_rows VALUES (1, 'archived');
      CREATE TABLE orders (id integer PRIMARY KEY, note text);
      INSERT INTO orders VALUES (2, 'current');
      CREATE FOREIGN TABLE orders_archive () INHERITS (orders) SERVER here OPTIONS (table_name 'archive_rows');`);
    dir = mkdtempSync(join(tmpdir(), 'rowferry-foreign-'));
    creds = await enrollDatabase(stack, 'foreign');
  });

  afterAll(async () => {
    await agent?.close();
    await source?.end();
    await database?.drop();
    await remote?.end();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = (sideTable: boolean) =>
    configuredAgent(stack, dir, creds, {
      source: { type: 'postgres', url: database.url },
      tables: [{ name: 'orders', ...(sideTable ? { sideTable } : {}) }],
    });

  it('track refuses the parent in column mode, naming the foreign child and the side table', async () => {
    agent = open(false);
    await expect(agent.source.installTracking([{ name: 'orders' }])).rejects.toThrow(
      /table "orders" has foreign tables as inheritance children \(orders_archive\), which cannot take a version column: track it with a side table/,
    );
    const { rows } = await source.query(
      `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'orders' AND column_name = '_rowferry_version'`,
    );
    expect(rows[0].n).toBe(0); // nothing was changed
    await agent.close();
    agent = undefined;
  });

  it('with a side table, the foreign child’s rows travel with the parent’s', async () => {
    agent = open(true);
    await agent.source.installTracking([{ name: 'orders', sideTable: true }]);
    await syncRound(agent);
    const { rows } = await remote.query(
      `SELECT id::int, note FROM rowferry_data.orders WHERE _rf_database = $1 ORDER BY id`,
      [creds.databaseId],
    );
    expect(rows).toEqual([
      { id: 1, note: 'archived' },
      { id: 2, note: 'current' },
    ]);
  });
});
