import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { SyncAgent } from '../../apps/agent/src/agent.js';
import { createSampleDatabase, SAMPLE_TABLES } from '../../scripts/lib/sample-sqlite.js';
import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';
import type { Credentials } from '../../scripts/lib/agent-config.js';
import { sqliteAgent, sqliteDifferences, syncUntilEqual } from '../support/agent.js';

/**
 * Restores of every kind (docs/sync-model.md, Restores), each followed by new local writes that reuse versions the
 * remote holds for the lost timeline's content. The copy must end exactly equal, every column of every row.
 */
describe('restores the agent cannot see coming', () => {
  let stack: Stack;
  const dirs: string[] = [];
  const agents: SyncAgent[] = [];

  beforeAll(async () => {
    stack = await startStack('restores');
  });
  afterAll(async () => {
    for (const a of agents) await a.close().catch(() => undefined);
    await stack?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** A synced sample database with its own tenant; `open` makes a new agent (a restarted process) at any time. */
  async function scenario(name: string, settings: Record<string, unknown> = {}) {
    const dir = mkdtempSync(join(tmpdir(), `rowferry-restore-${name}-`));
    dirs.push(dir);
    const dbPath = join(dir, 'shop.db');
    createSampleDatabase(dbPath, 20_000);
    const creds: Credentials = await enrollDatabase(stack, name);
    const open = () => {
      const agent = sqliteAgent(stack, dir, 'shop.db', creds, SAMPLE_TABLES, { sliceRows: 10_000, ...settings });
      agents.push(agent);
      return agent;
    };
    const differences = () => sqliteDifferences(stack, dbPath, creds, SAMPLE_TABLES);
    const agent = open();
    await agent.source.installTracking(SAMPLE_TABLES);
    const exec = (sql: string) => {
      const db = new Database(dbPath);
      db.exec(sql);
      db.close();
    };
    const checkpoint = () => exec('PRAGMA wal_checkpoint(TRUNCATE)');
    /** Copies of the database (and the agent's state file) as a backup tool would take them. */
    const backup = (tag: string) => {
      checkpoint();
      copyFileSync(dbPath, join(dir, `${tag}.db`));
      if (existsSync(join(dir, 'rowferry-state.json')))
        copyFileSync(join(dir, 'rowferry-state.json'), join(dir, `${tag}.state.json`));
    };
    /** Puts a backup back in place of the database (the agent closed), with or without the agent's state. */
    const restore = async (tag: string, state: 'with state' | 'state lost') => {
      for (const suffix of ['-wal', '-shm']) rmSync(dbPath + suffix, { force: true });
      copyFileSync(join(dir, `${tag}.db`), dbPath);
      rmSync(join(dir, 'rowferry-state.json'), { force: true });
      if (state === 'with state' && existsSync(join(dir, `${tag}.state.json`)))
        copyFileSync(join(dir, `${tag}.state.json`), join(dir, 'rowferry-state.json'));
    };
    const livesOn = () =>
      exec(`UPDATE items SET note = 'lost timeline', price = price + 100 WHERE id <= 3000;
            UPDATE tags SET label = 'lost label' WHERE code IN ('Alpha', 'zürich');
            INSERT INTO items (id, name, price) SELECT 900000 + id, 'lost row', 1 FROM items WHERE id <= 200;
            DELETE FROM items WHERE id BETWEEN 5000 AND 5099;
            DELETE FROM order_lines WHERE order_id = 7;`);
    const afterRestore = () =>
      exec(`UPDATE items SET note = 'written after the restore' WHERE id BETWEEN 10000 AND 10300;
            INSERT INTO items (id, name, price) SELECT 800000 + id, 'new row', 2 FROM items WHERE id <= 50;
            UPDATE tags SET label = 'new label' WHERE code = 'alpha';`);
    return { dir, dbPath, creds, open, agent, differences, exec, backup, restore, livesOn, afterRestore };
  }

  it('the database and the agent state restored together from one backup (a machine image)', async () => {
    const s = await scenario('image');
    await syncUntilEqual(s.agent, s.differences);
    s.backup('image');
    s.livesOn();
    await syncUntilEqual(s.agent, s.differences);
    await s.agent.close();
    await s.restore('image', 'with state');
    s.afterRestore();
    const agent = s.open();
    const first = await agent.cycle();
    expect(first).toMatchObject({ restore: 'to-marker' });
    await syncUntilEqual(agent, s.differences);
  });

  it('the database restored and the agent state lost', async () => {
    const s = await scenario('nostate');
    await syncUntilEqual(s.agent, s.differences);
    await s.agent.cycle(); // one more marker, so the backup's is not the first
    s.backup('nostate');
    s.livesOn();
    await syncUntilEqual(s.agent, s.differences);
    await s.agent.close();
    await s.restore('nostate', 'state lost');
    s.afterRestore();
    const agent = s.open();
    expect(await agent.cycle()).toMatchObject({ restore: 'to-marker' });
    await syncUntilEqual(agent, s.differences);
  });

  it('a restore that lands while a pass is running is seen by the next pass', async () => {
    // A round of the difference check every pass (docs/difference-check.md, Schedule): the restore lands in one.
    const s = await scenario('midpass', { verifyEvery: '1s' });
    await syncUntilEqual(s.agent, s.differences);
    s.exec(`UPDATE items SET qty = 7 WHERE id BETWEEN 15000 AND 15009`); // the backup is a little ahead of its marker
    s.backup('midpass');
    s.livesOn();
    // The restore lands once the pass has uploaded the lost timeline, while it checks for differences: a dump
    // loaded into the live database.
    const digests = s.agent.source.digests.bind(s.agent.source);
    let restored = false;
    s.agent.source.digests = async (table, ranges) => {
      if (!restored) loadBackupInPlace(s.dbPath, join(s.dir, 'midpass.db'));
      restored = true;
      return digests(table, ranges);
    };
    await s.agent.cycle();
    s.agent.source.digests = digests;
    expect(restored).toBe(true);
    s.afterRestore();
    expect(await s.agent.cycle()).toMatchObject({ restore: 'to-marker' });
    await syncUntilEqual(s.agent, s.differences);
  });

  it('a database file replaced by rename under a running agent is reopened and judged', async () => {
    const s = await scenario('rename');
    await syncUntilEqual(s.agent, s.differences);
    s.backup('rename');
    s.livesOn();
    await syncUntilEqual(s.agent, s.differences);
    // The backup is renamed into place while the agent keeps its handle. The restored file is not in WAL mode and
    // the old write-ahead log goes, as a restore tool must do: the old handle then shares no file with the new one.
    const incoming = join(s.dir, 'incoming.db');
    copyFileSync(join(s.dir, 'rename.db'), incoming);
    const db = new Database(incoming);
    db.pragma('journal_mode = DELETE');
    db.close();
    for (const suffix of ['-wal', '-shm']) rmSync(s.dbPath + suffix, { force: true });
    renameSync(incoming, s.dbPath);
    s.afterRestore();
    expect(await s.agent.cycle()).toMatchObject({ restore: 'to-marker' });
    await syncUntilEqual(s.agent, s.differences);
  });

  it('a backup from before any marker: no usable marker, and the table is verified, never wiped', async () => {
    const s = await scenario('nomarker');
    s.backup('nomarker'); // tracking installed, nothing synced yet: no marker in it
    await syncUntilEqual(s.agent, s.differences);
    s.livesOn();
    await syncUntilEqual(s.agent, s.differences);
    await s.agent.close();
    await s.restore('nomarker', 'state lost');
    s.afterRestore();
    const restoredAt = new Date();
    const agent = s.open();
    expect(await agent.cycle()).toMatchObject({ restore: 'no-usable-marker' });
    // Rows untouched by either timeline were never deleted and uploaded again: they keep their creation time.
    const admin = new pg.Client({ connectionString: stack.databaseUrl });
    await admin.connect();
    const { rows } = await admin.query(
      `SELECT count(*)::int AS n FROM rowferry_data.items WHERE _rf_database = $1 AND _rf_created_at < $2`,
      [s.creds.databaseId, restoredAt],
    );
    await admin.end();
    expect(rows[0].n).toBeGreaterThan(15_000); // only rows above the local maximum went (the ordinary 'behind' step)
    await syncUntilEqual(agent, s.differences);
  });
});

/** A logical restore into the live file (as loading a dump does): every synced table and the tracking tables. */
function loadBackupInPlace(dbPath: string, backupPath: string): void {
  const db = new Database(dbPath);
  db.exec(`ATTACH DATABASE '${backupPath.replace(/'/g, "''")}' AS bk`);
  const triggers = db.prepare(`SELECT name, sql FROM main.sqlite_master WHERE type = 'trigger'`).all() as {
    name: string;
    sql: string;
  }[];
  db.transaction(() => {
    for (const t of triggers) db.exec(`DROP TRIGGER "${t.name}"`);
    for (const t of ['items', 'order_lines', 'tags', '_rowferry_markers', '_rowferry_counter'])
      db.exec(`DELETE FROM main."${t}"; INSERT INTO main."${t}" SELECT * FROM bk."${t}";`);
    for (const t of triggers) db.exec(t.sql);
  })();
  db.exec('DETACH DATABASE bk');
  db.close();
}
