import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAgentConfig } from '../../scripts/lib/agent-config.js';
import { ENGINES, syncedTenant, type SyncedTenant } from '../support/tenants.js';
import { AGENT_CLI } from '../support/agent-cli.js';

/**
 * Side-table tracking (docs/sources.md, Side tables): the application's tables stay exactly as they were, so an
 * application that inserts without a column list keeps working, and everything syncs as with a version column.
 */
describe.each(ENGINES)('side tables: %s source', (engine) => {
  let t: SyncedTenant;
  const name = (i: number) => t.tenant.tables[i].name;
  const onePass = async () => {
    const report = await t.agent.cycle();
    const failed = report.tables.filter((r) => 'error' in r);
    if (failed.length) throw new Error(JSON.stringify(failed));
  };
  const found = async (content: boolean) =>
    [...(await t.agent.verify({ content })).values()].reduce((n, r) => n + r.found, 0);

  beforeAll(async () => {
    t = await syncedTenant(engine, 'side', 21, { batchRows: 400, sliceRows: 50 }, { sideTable: true });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('leaves the tables untouched and syncs them: an insert without a column list still works', async () => {
    expect(await t.differences()).toEqual([]);
    const items = await t.agent.source.describe({ name: name(0) });
    expect(items.columns.map((c) => c.name)).toEqual(['id', 'name', 'amount', 'flag', 'data', 'note']);
    await t.tenant.exec(`INSERT INTO ${name(0)} VALUES (9001, 'no column list', 1.5, TRUE, NULL, NULL)`);
    await onePass();
    expect(await t.differences()).toEqual([]);
  });

  it('updates, inserts, deletes, a changed key and a delete with a re-insert arrive in one pass', async () => {
    await t.tenant.exec(`UPDATE ${name(0)} SET name = 'updated' WHERE id % 7 = 0`);
    await t.tenant.exec(`DELETE FROM ${name(0)} WHERE id % 11 = 0`);
    await t.tenant.exec(`UPDATE ${name(0)} SET id = 200000 WHERE id = 2`);
    await t.tenant.exec(`DELETE FROM ${name(0)} WHERE id = 3`);
    await t.tenant.exec(`INSERT INTO ${name(0)} (id, name) VALUES (3, 'back again')`);
    await t.tenant.exec(`DELETE FROM ${name(1)} WHERE order_id % 13 = 0`);
    await t.tenant.exec(`INSERT INTO ${name(2)} (code, label) VALUES ('new tag', 'x')`);
    expect((await t.differences()).length).toBeGreaterThan(100);
    await onePass();
    expect(await t.differences()).toEqual([]);
  });

  it('the difference check finds nothing in an equal copy, by keys and versions and by content', async () => {
    expect(await found(false)).toBe(0);
    expect(await found(true)).toBe(0);
  });
});

describe('rowferry-agent track --side-table', () => {
  it('installs side tables from the command line and leaves the table as it was', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rowferry-side-cli-'));
    try {
      const db = new Database(join(dir, 'app.db'));
      db.exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes VALUES (1, 'a'), (2, 'b');`);
      const before = db.prepare('PRAGMA table_info(notes)').all();
      const creds = { customerId: randomUUID(), databaseId: randomUUID(), secret: 'unused' };
      const config = writeAgentConfig('http://127.0.0.1:9', dir, creds, {
        source: { type: 'sqlite', path: 'app.db' },
        tables: [{ name: 'notes' }],
      });
      const cli = AGENT_CLI;
      const run = spawnSync(process.execPath, [cli, 'track', '-c', config, '--side-table'], { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(/notes: versioned 2 existing rows in _rowferry_notes_rows/);
      expect(db.prepare('PRAGMA table_info(notes)').all()).toEqual(before);
      db.exec(`INSERT INTO notes VALUES (3, 'c'); DELETE FROM notes WHERE id = 1`);
      const ids = db.prepare('SELECT id FROM _rowferry_notes_rows ORDER BY _rowferry_version').pluck().all();
      expect(ids).toEqual([2, 3]);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
