import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { databaseUrl } from '#persistence';
import { SyncAgent } from '../../apps/agent/src/agent.js';
import { loadAgentConfig } from '../../apps/agent/src/config.js';
import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';

const SERVER = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const NAMES = ['Alice', 'bob', 'Zoë', 'zoe', 'Ärger'];

/**
 * Keys are compared byte for byte on every engine (docs/difference-check.md): renaming 'Alice' to 'ALICE' under a
 * case-insensitive collation (SQLite NOCASE, MariaDB's default) is a delete of one key and an insert of another, and
 * once synced the difference check finds nothing more to repair.
 */
describe('keys under case- and accent-insensitive collations', () => {
  let stack: Stack;
  let dir: string;
  let remote: pg.Client;
  const agents: SyncAgent[] = [];
  const mysqlDb = `rowferry_coll_${randomBytes(4).toString('hex')}`;
  let admin: mysql.Connection | undefined;
  const pgSourceDb = `rowferry_coll_${randomBytes(4).toString('hex')}`;
  const pgAdminUrl = databaseUrl().replace(/\/[^/]*$/, '/postgres');

  beforeAll(async () => {
    stack = await startStack('collation');
    dir = mkdtempSync(join(tmpdir(), 'rowferry-collation-'));
    remote = new pg.Client({ connectionString: stack.databaseUrl });
    await remote.connect();
  });
  afterAll(async () => {
    for (const a of agents) await a.close();
    await admin?.end();
    await remote?.end();
    await stack?.stop();
    const pgAdmin = new pg.Client({ connectionString: pgAdminUrl });
    await pgAdmin.connect();
    await pgAdmin.query(`DROP DATABASE IF EXISTS ${pgSourceDb} WITH (FORCE)`);
    await pgAdmin.end();
    const cleanup = await mysql.createConnection(SERVER);
    await cleanup.query(`DROP DATABASE IF EXISTS \`${mysqlDb}\``);
    await cleanup.end();
    rmSync(dir, { recursive: true, force: true });
  });

  async function agentFor(
    name: string,
    source: unknown,
    table: string,
  ): Promise<{ agent: SyncAgent; databaseId: string }> {
    const creds = await enrollDatabase(stack, name);
    writeFileSync(join(dir, `${name}.creds.json`), JSON.stringify(creds));
    writeFileSync(
      join(dir, `${name}.json`),
      JSON.stringify({
        api: { url: stack.apiUrl, credentialsFile: `${name}.creds.json` },
        source,
        tables: [{ name: table }],
        stateFile: `${name}.state.json`,
        sliceRows: 3,
      }),
    );
    const agent = new SyncAgent(loadAgentConfig(join(dir, `${name}.json`)), () => undefined);
    agents.push(agent);
    await agent.source.installTracking([{ name: table }]);
    return { agent, databaseId: creds.databaseId };
  }

  const remoteNames = async (table: string, databaseId: string) =>
    (
      await remote.query(`SELECT name FROM rowferry_data.${table} WHERE _rf_database = $1 ORDER BY name COLLATE "C"`, [
        databaseId,
      ])
    ).rows.map((r) => r.name);

  /** Passes until the remote keys are the expected ones; then a whole round of the check must repair nothing. */
  async function converge(agent: SyncAgent, table: string, databaseId: string, expected: string[]) {
    const pass = async () => {
      const r = (await agent.cycle()).tables[0];
      if ('error' in r) throw new Error(r.error);
      return r;
    };
    await pass();
    for (let i = 0; i < 10 && JSON.stringify(await remoteNames(table, databaseId)) !== JSON.stringify(expected); i++)
      await pass();
    expect(await remoteNames(table, databaseId)).toEqual(expected);
    let repaired = 0;
    for (let i = 0; i < 4; i++) {
      const r = await pass();
      repaired += r.repaired + r.deleted;
    }
    expect(repaired).toBe(0);
  }

  const sorted = (names: string[]) => [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

  it('SQLite COLLATE NOCASE', async () => {
    const path = join(dir, 'people.db');
    const db = new Database(path);
    db.exec(`CREATE TABLE people (name TEXT COLLATE NOCASE PRIMARY KEY, note TEXT)`);
    for (const n of NAMES.filter((n) => n !== 'zoe'))
      db.prepare('INSERT INTO people VALUES (?, ?)').run(n, `note ${n}`);
    db.close();
    const { agent, databaseId } = await agentFor('sqlite', { type: 'sqlite', path: 'people.db' }, 'people');
    await converge(agent, 'people', databaseId, sorted(NAMES.filter((n) => n !== 'zoe')));
    const local = new Database(path);
    local.exec(`UPDATE people SET name = 'ALICE' WHERE name = 'alice'`); // NOCASE finds 'Alice'
    local.close();
    await converge(agent, 'people', databaseId, sorted(['ALICE', 'bob', 'Zoë', 'Ärger']));
  });

  it("MariaDB's default collation", async () => {
    admin = await mysql.createConnection(SERVER);
    await admin.query(`CREATE DATABASE \`${mysqlDb}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
    await admin.query(`CREATE TABLE \`${mysqlDb}\`.persons (name VARCHAR(50) PRIMARY KEY, note TEXT)`);
    // utf8mb4_general_ci also folds accents: 'Zoë' and 'zoe' cannot both be keys; 'zoe' stands alone here.
    for (const n of NAMES.filter((n) => n !== 'Zoë'))
      await admin.query(`INSERT INTO \`${mysqlDb}\`.persons VALUES (?, ?)`, [n, `note ${n}`]);
    const { agent, databaseId } = await agentFor('maria', { type: 'mysql', url: `${SERVER}/${mysqlDb}` }, 'persons');
    await converge(agent, 'persons', databaseId, sorted(NAMES.filter((n) => n !== 'Zoë')));
    await admin.query(`UPDATE \`${mysqlDb}\`.persons SET name = 'ALICE' WHERE name = 'alice'`);
    await admin.query(`UPDATE \`${mysqlDb}\`.persons SET name = 'Zoë' WHERE name = 'zoe'`);
    await converge(agent, 'persons', databaseId, sorted(['ALICE', 'bob', 'Zoë', 'Ärger']));
  });

  it('PostgreSQL with a nondeterministic (case-insensitive) collation', async () => {
    const pgAdmin = new pg.Client({ connectionString: pgAdminUrl });
    await pgAdmin.connect();
    await pgAdmin.query(`CREATE DATABASE ${pgSourceDb}`);
    await pgAdmin.end();
    const url = pgAdminUrl.replace(/\/postgres$/, `/${pgSourceDb}`);
    const src = new pg.Client({ connectionString: url });
    await src.connect();
    try {
      await src.query(`CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false)`);
      await src.query(`CREATE TABLE members (name text COLLATE nocase PRIMARY KEY, note text)`);
      for (const n of NAMES.filter((n) => n !== 'zoe'))
        await src.query(`INSERT INTO members VALUES ($1, $2)`, [n, `note ${n}`]);
      const { agent, databaseId } = await agentFor('postgres', { type: 'postgres', url }, 'members');
      await converge(agent, 'members', databaseId, sorted(NAMES.filter((n) => n !== 'zoe')));
      await src.query(`UPDATE members SET name = 'ALICE' WHERE name = 'alice'`);
      await converge(agent, 'members', databaseId, sorted(['ALICE', 'bob', 'Zoë', 'Ärger']));
    } finally {
      await src.end();
    }
  });
});
