import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SyncAgent } from '../../apps/agent/src/agent.js';
import { loadAgentConfig } from '../../apps/agent/src/config.js';
import { compareTable } from '../../scripts/lib/compare.js';
import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';
import { AGENT_CLI } from '../support/agent-cli.js';

interface Tenant {
  dir: string;
  db: string;
  creds: { customerId: string; databaseId: string; secret: string };
  agent: SyncAgent;
  tables: { name: string; key: string[]; remoteName?: string }[];
}

/** Columns added locally arrive remotely; incompatible changes are refused for that tenant's table only. */
describe('schema evolution', () => {
  let stack: Stack;
  let a: Tenant;
  let b: Tenant;

  async function tenant(name: string, ddl: string, tables: { name: string; key: string[] }[]): Promise<Tenant> {
    const dir = mkdtempSync(join(tmpdir(), `rowferry-schema-${name}-`));
    const db = join(dir, 'local.db');
    const local = new Database(db);
    local.exec(ddl);
    local.close();
    const creds = await enrollDatabase(stack, name);
    writeFileSync(join(dir, 'creds.json'), JSON.stringify(creds));
    const t: Tenant = { dir, db, creds, agent: undefined as unknown as SyncAgent, tables };
    writeConfig(t);
    t.agent = new SyncAgent(loadAgentConfig(join(dir, 'agent.json')), () => undefined);
    await t.agent.source.installTracking(tables);
    return t;
  }

  function writeConfig(t: Tenant) {
    writeFileSync(
      join(t.dir, 'agent.json'),
      JSON.stringify({
        api: { url: stack.apiUrl, credentialsFile: 'creds.json' },
        source: { type: 'sqlite', path: 'local.db' },
        tables: t.tables,
      }),
    );
  }

  const differences = async (t: Tenant, table: string, key: string[]) =>
    compareTable(t.db, stack.databaseUrl, t.creds.databaseId, table, key);

  async function cycles(t: Tenant, n: number) {
    const reports = [];
    for (let i = 0; i < n; i++) reports.push(await t.agent.cycle());
    return reports;
  }

  beforeAll(async () => {
    stack = await startStack('schema', 2);
    a = await tenant(
      'a',
      `CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price NUMERIC);
       CREATE TABLE tags (code TEXT PRIMARY KEY, label TEXT);
       WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 500) INSERT INTO items SELECT i, 'item ' || i, i / 10.0 FROM s;
       INSERT INTO tags VALUES ('x', 'X'), ('y', 'Y');`,
      [
        { name: 'items', key: ['id'] },
        { name: 'tags', key: ['code'] },
      ],
    );
    b = await tenant(
      'b',
      `CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, weight REAL); INSERT INTO items VALUES (1, 'b one', 1.5), (2, 'b two', 2.5);`,
      [{ name: 'items', key: ['id'] }],
    );
    await cycles(a, 2);
    await cycles(b, 2);
  });

  afterAll(async () => {
    await a?.agent.close();
    await b?.agent.close();
    await stack?.stop();
    for (const t of [a, b]) if (t) rmSync(t.dir, { recursive: true, force: true });
  });

  it('two tenants with different column sets share one remote table holding the union', async () => {
    expect(await differences(a, 'items', ['id'])).toEqual([]);
    expect(await differences(b, 'items', ['id'])).toEqual([]);
  });

  it('a column added locally is added remotely, and existing rows get its values too', async () => {
    const local = new Database(a.db);
    local.exec(`ALTER TABLE items ADD COLUMN colour TEXT NOT NULL DEFAULT 'red'`);
    local.exec(`UPDATE items SET colour = 'blue' WHERE id <= 10`);
    local.close();
    await cycles(a, 3);
    expect(await differences(a, 'items', ['id'])).toEqual([]); // every row, the untouched ones' 'red' included
    expect(await differences(b, 'items', ['id'])).toEqual([]);
  });

  it('the backfill survives the agent dying between adding the column and re-sending the rows', async () => {
    const local = new Database(a.db);
    local.exec(`ALTER TABLE items ADD COLUMN size TEXT NOT NULL DEFAULT 'L'`);
    local.close();
    await a.agent.registerTables(); // the column is added remotely; then the process dies before any row is sent
    await a.agent.close();
    a.agent = new SyncAgent(loadAgentConfig(join(a.dir, 'agent.json')), () => undefined);
    const info = await a.agent.api.versionInfo('items');
    expect(info.backfillFrom).toBe('0');
    await cycles(a, 3);
    expect(await differences(a, 'items', ['id'])).toEqual([]); // every existing row has its 'L'
    expect((await a.agent.api.versionInfo('items')).backfillFrom).toBeNull();
  });

  it("an incompatible change is refused for that tenant's table only: its other tables and other tenants keep syncing", async () => {
    await a.agent.close();
    a.tables = [
      { name: 'items', key: ['id'] },
      { name: 'tags', key: ['label'] }, // a key change
    ];
    writeConfig(a);
    a.agent = new SyncAgent(loadAgentConfig(join(a.dir, 'agent.json')), () => undefined);
    const local = new Database(a.db);
    local.exec(`UPDATE items SET name = 'still syncing' WHERE id = 7`);
    local.close();
    const bLocal = new Database(b.db);
    bLocal.exec(`INSERT INTO items (id, name, weight) VALUES (3, 'b three', 3.5)`);
    bLocal.close();

    const [report] = await cycles(a, 1);
    expect(report.tables.find((t) => t.table === 'tags')).toEqual({
      table: 'tags',
      error: expect.stringMatching(
        /definition refused: .*table "tags" is registered with key \(code\); changing it to \(label\) is refused/,
      ),
    });
    expect(await differences(a, 'items', ['id'])).toEqual([]);
    await cycles(b, 1);
    expect(await differences(b, 'items', ['id'])).toEqual([]);

    // Visible in the API and in `rowferry-agent status`.
    const res = await fetch(
      `${stack.apiUrl}/v1/customers/${a.creds.customerId}/databases/${a.creds.databaseId}/tables/tags`,
      { headers: { authorization: `Bearer ${a.creds.secret}` } },
    );
    expect(((await res.json()) as { schemaError: string }).schemaError).toMatch(/changing it to \(label\) is refused/);
    const cli = AGENT_CLI;
    const out = execFileSync(process.execPath, [cli, 'status', '--json', '-c', join(a.dir, 'agent.json')], {
      encoding: 'utf8',
    });
    const states = Object.fromEntries(
      (JSON.parse(out) as { table: string; state: string; reason?: string }[]).map((r) => [r.table, r]),
    );
    expect(states.tags).toMatchObject({ state: 'refused', reason: expect.stringMatching(/^definition refused/) });
    expect(['equal', 'checking']).toContain(states.items.state);
  });
  it("a table refused for a type another tenant's table of that name has syncs under another name (remoteName)", async () => {
    // b's "notes" holds text; a's "notes" holds integers: the shared table cannot take a's definition.
    const sql = (t: Tenant, ddl: string) => {
      const db = new Database(t.db);
      db.exec(ddl);
      db.close();
    };
    sql(b, `CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes VALUES (1, 'one');`);
    sql(a, `CREATE TABLE notes (id INTEGER PRIMARY KEY, body INTEGER); INSERT INTO notes VALUES (1, 10), (2, 20);`);
    const restart = async (t: Tenant, tables: Tenant['tables']) => {
      await t.agent.close();
      t.tables = tables;
      writeConfig(t);
      t.agent = new SyncAgent(loadAgentConfig(join(t.dir, 'agent.json')), () => undefined);
      await t.agent.source.installTracking(tables);
    };
    await restart(b, [
      { name: 'items', key: ['id'] },
      { name: 'notes', key: ['id'] },
    ]);
    await cycles(b, 2);
    await restart(a, [
      { name: 'items', key: ['id'] },
      { name: 'notes', key: ['id'] },
    ]);
    const [refused] = await cycles(a, 1);
    expect(refused.tables.find((t) => t.table === 'notes')).toEqual({
      table: 'notes',
      error: expect.stringMatching(/definition refused: .*column "body" of table "notes" is shared by name/),
    });

    await restart(a, [
      { name: 'items', key: ['id'] },
      { name: 'notes', key: ['id'], remoteName: 'notes_of_a' },
    ]);
    const [renamed] = await cycles(a, 2);
    expect(renamed.tables.find((t) => t.table === 'notes')).toMatchObject({ steps: expect.arrayContaining(['equal']) });
    expect(
      await compareTable(a.db, stack.databaseUrl, a.creds.databaseId, 'notes', ['id'], undefined, 'notes_of_a'),
    ).toEqual([]);
    expect(await differences(b, 'notes', ['id'])).toEqual([]); // b's shared table is untouched
    const cli = AGENT_CLI;
    const status = JSON.parse(
      execFileSync(process.execPath, [cli, 'status', '--json', '-c', join(a.dir, 'agent.json')], { encoding: 'utf8' }),
    ) as { table: string; state: string; remoteVersion: string | null }[];
    expect(status.find((r) => r.table === 'notes')).toMatchObject({
      state: expect.not.stringMatching(/refused/),
      remoteVersion: expect.any(String),
    });
  });
});
