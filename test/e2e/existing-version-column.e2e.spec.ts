import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SyncAgent } from '../../apps/agent/src/agent.js';
import { compareTable } from '../../scripts/lib/compare.js';
import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';
import { configuredAgent } from '../../scripts/lib/agent-config.js';

/** A database whose application already keeps a version column: no triggers are installed, its versions drive sync. */
describe('existing version column', () => {
  let stack: Stack;
  let dir: string;
  let agent: SyncAgent;
  let creds: { customerId: string; databaseId: string; secret: string };
  const dbPath = () => join(dir, 'app.db');
  const differences = () => compareTable(dbPath(), stack.databaseUrl, creds.databaseId, 'notes', ['id'], 'rv');

  beforeAll(async () => {
    stack = await startStack('existingversion', 1);
    dir = mkdtempSync(join(tmpdir(), 'rowferry-rv-'));
    const db = new Database(dbPath());
    db.exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, rv INTEGER NOT NULL);
             WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 300) INSERT INTO notes SELECT i, 'note ' || i, i * 10 FROM s;`);
    db.close();
    creds = await enrollDatabase(stack, 'rv');
    agent = configuredAgent(stack, dir, creds, {
      source: { type: 'sqlite', path: 'app.db', versionColumn: 'rv' },
      tables: [{ name: 'notes' }],
    });
    expect(await agent.source.installTracking([{ name: 'notes' }])).toEqual([
      'versions come from the existing column "rv": only the restore markers table is installed (deletes are found by the difference check)',
    ]);
  });

  afterAll(async () => {
    await agent?.close();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('syncs by the application version, without adding columns or triggers', async () => {
    const db = new Database(dbPath());
    const triggers = db.prepare(`SELECT count(*) FROM sqlite_master WHERE type = 'trigger'`).pluck().get();
    const columns = (db.prepare(`PRAGMA table_info(notes)`).all() as { name: string }[]).map((c) => c.name);
    db.close();
    expect([triggers, columns]).toEqual([0, ['id', 'body', 'rv']]);
    await agent.cycle();
    expect(await differences()).toEqual([]);
  });

  it('follows updates, inserts and deletes the application makes', async () => {
    const db = new Database(dbPath());
    db.exec(`UPDATE notes SET body = 'edited', rv = 5000 + id WHERE id % 50 = 0;
             INSERT INTO notes VALUES (1000, 'new', 9000);
             DELETE FROM notes WHERE id BETWEEN 100 AND 110;`);
    db.close();
    for (let i = 0; i < 2; i++) await agent.cycle();
    expect(await differences()).toEqual([]);
  });
});
