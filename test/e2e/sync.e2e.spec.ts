import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SyncAgent } from '../../apps/agent/src/agent.js';
import { loadAgentConfig } from '../../apps/agent/src/config.js';
import { createSampleDatabase, SAMPLE_TABLES } from '../../scripts/lib/sample-sqlite.js';
import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';
import { sqliteDifferences, syncUntilEqual } from '../support/agent.js';
import { AGENT_CLI } from '../support/agent-cli.js';

describe('end to end: SQLite agent → API → Redis → 2 workers → PostgreSQL', () => {
  let stack: Stack;
  let dir: string;
  let dbPath: string;
  let creds: { customerId: string; databaseId: string; secret: string };
  let other: { customerId: string; databaseId: string; secret: string };
  let agent: SyncAgent;

  const newAgent = () => {
    const configPath = join(dir, 'agent.yaml');
    writeFileSync(
      configPath,
      JSON.stringify({
        api: { url: stack.apiUrl, credentialsFile: 'creds.json' },
        source: { type: 'sqlite', path: 'shop.db' },
        tables: SAMPLE_TABLES,
        batchRows: 5000,
        sliceRows: 25000,
        maxInFlight: 4,
      }),
    );
    return new SyncAgent(loadAgentConfig(configPath), () => undefined);
  };

  const differences = () => sqliteDifferences(stack, dbPath, creds, SAMPLE_TABLES);
  /** Passes until remote equals local exactly and a whole difference-check round has run. */
  const sync = () => syncUntilEqual(agent, differences);

  const local = () => new Database(dbPath);

  beforeAll(async () => {
    stack = await startStack('e2e');
    dir = mkdtempSync(join(tmpdir(), 'rowferry-e2e-'));
    dbPath = join(dir, 'shop.db');
    createSampleDatabase(dbPath, 100_000);
    creds = await enrollDatabase(stack, 'acme');
    other = await enrollDatabase(stack, 'globex');
    writeFileSync(join(dir, 'creds.json'), JSON.stringify(creds));
    agent = newAgent();
    await agent.source.installTracking(SAMPLE_TABLES);
  });

  afterAll(async () => {
    await agent?.close();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads 100k rows initially, every column of every row equal', async () => {
    await sync();
    expect(await differences()).toEqual([]);
  });

  it('syncs updates, inserts and deletes in the middle', async () => {
    const db = local();
    db.exec(`UPDATE items SET name = name || ' (new)', price = price + 1 WHERE id % 97 = 0;
             UPDATE tags SET label = 'relabelled' WHERE code IN ('Zürich', 'emoji 😀');
             INSERT INTO items (id, name, price, qty, ratio, photo)
               WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s WHERE value < 500)
               SELECT 200000 + value, 'fresh', 1.25, value, 0.5, x'00ff' FROM s;`);
    db.exec(`DELETE FROM items WHERE id BETWEEN 40000 AND 40299;
             DELETE FROM order_lines WHERE order_id = 5000 AND line = 2;
             DELETE FROM tags WHERE code = 'alpha';`);
    db.close();
    await sync();
  });

  it('syncs the deletion of the newest rows: logged deletes on the ahead path', async () => {
    const db = local();
    db.exec(
      `DELETE FROM items WHERE _rowferry_version IN (SELECT _rowferry_version FROM items ORDER BY _rowferry_version DESC LIMIT 50)`,
    );
    db.close();
    const first = await agent.cycle();
    expect(first.tables.find((t) => t.table === 'items')).toMatchObject({ steps: ['ahead', 'equal'], deleted: 50 });
    await sync();
  });

  it('without a delete log (tracked by an older rowferry), the newest rows deleted go by a range delete', async () => {
    const db = local();
    db.exec(`DROP TRIGGER _rowferry_items_delete; DROP TRIGGER _rowferry_items_rekey; DROP TABLE _rowferry_items_deletes;
      DELETE FROM items WHERE _rowferry_version IN (SELECT _rowferry_version FROM items ORDER BY _rowferry_version DESC LIMIT 50)`);
    db.close();
    const first = await agent.cycle();
    expect(first.tables.find((t) => t.table === 'items')).toMatchObject({ steps: ['behind', 'equal'] });
    await sync();
    await agent.source.installTracking(SAMPLE_TABLES); // the next track brings the log back
    const again = local();
    again.exec(`DELETE FROM items WHERE id = (SELECT max(id) FROM items)`);
    again.close();
    expect((await agent.cycle()).tables.find((t) => t.table === 'items')).toMatchObject({
      steps: ['ahead', 'equal'],
      deleted: 1,
    });
    await sync();
  });

  it('recognises a restore of an older copy, even after new writes passed the old remote version', async () => {
    const backup = join(dir, 'backup.db');
    local().exec('PRAGMA wal_checkpoint(TRUNCATE)');
    copyFileSync(dbPath, backup);
    // Life goes on after the backup, and syncs.
    let db = local();
    db.exec(
      `UPDATE items SET note = 'after backup' WHERE id <= 2000; DELETE FROM items WHERE id BETWEEN 3000 AND 3010;`,
    );
    db.close();
    await sync();
    // The database is restored from the backup; new writes reuse versions the remote holds for other content.
    await agent.close();
    for (const suffix of ['-wal', '-shm']) rmSync(dbPath + suffix, { force: true });
    copyFileSync(backup, dbPath);
    db = local();
    db.exec(`UPDATE items SET note = 'written after the restore' WHERE id BETWEEN 10000 AND 13000;`);
    db.close();
    agent = newAgent();
    const first = await agent.cycle();
    expect(first.restoredTo).toBeDefined();
    expect(first.tables.every((t) => 'steps' in t && t.steps[0] === 'restore')).toBe(true);
    await sync();
  });

  it('rowferry-agent status says every table is equal (a whole round of the difference check found nothing)', () => {
    const cli = AGENT_CLI;
    const status = (...args: string[]) =>
      execFileSync(process.execPath, [cli, 'status', '-c', join(dir, 'agent.yaml'), ...args], { encoding: 'utf8' });
    const rows = JSON.parse(status('--json')) as { table: string; state: string; behindVersions: string }[];
    expect(rows.map((r) => [r.table, r.state, r.behindVersions])).toEqual(
      SAMPLE_TABLES.map((t) => [t.name, 'equal', '0']),
    );
    const lines = status().trimEnd().split('\n');
    expect(lines).toHaveLength(SAMPLE_TABLES.length + 1); // nothing to explain below the table
    for (const t of SAMPLE_TABLES)
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${t.name}\\s+equal\\s`)));
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(100);
  });

  it("keeps tenants apart: another tenant's secret on these paths reads and changes nothing", async () => {
    const base = `${stack.apiUrl}/v1/customers/${creds.customerId}/databases/${creds.databaseId}`;
    const otherAuth = { authorization: `Bearer ${other.secret}`, 'content-type': 'application/json' };
    const before = await differences();
    const attempts: [string, string, unknown?][] = [
      ['GET', '/tables'],
      ['GET', '/tables/items'],
      ['PUT', '/tables/items', { columns: [{ name: 'id', type: 'bigint' }], key: ['id'] }],
      [
        'POST',
        '/tables/items',
        { rows: { columns: ['id', 'name'], values: [['1'], ['hacked']], versions: ['999999999'] } },
      ],
      ['DELETE', '/tables/items', { mode: 'all' }],
      ['POST', '/tables/items/manifest-check', { after: '0', upTo: '10', keys: [], versions: [] }],
      ['GET', '/jobs/upload.00000000-0000-4000-8000-000000000000'],
    ];
    for (const [method, path, body] of attempts) {
      const res = await fetch(base + path, {
        method,
        headers: otherAuth,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      expect([method, path, res.status]).toEqual([method, path, 403]);
    }
    // Its own customer id with our database id: the database is not its customer's (the same 403, see test/security).
    const crossed = await fetch(
      `${stack.apiUrl}/v1/customers/${other.customerId}/databases/${creds.databaseId}/tables`,
      { headers: otherAuth },
    );
    expect(crossed.status).toBe(403);
    await new Promise((r) => setTimeout(r, 500)); // anything wrongly enqueued would have been applied by now
    expect(await differences()).toEqual(before);
    expect(before).toEqual([]);
  });
});
