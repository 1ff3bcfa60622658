import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { SyncAgent } from '../../apps/agent/src/agent.js';
import { compareTable } from '../../scripts/lib/compare.js';
import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';
import { configuredAgent } from '../../scripts/lib/agent-config.js';

const SLICE = 500;
const TABLES = [
  { name: 'ints', key: ['id'], ddl: 'CREATE TABLE ints (id INTEGER PRIMARY KEY, v TEXT)' },
  {
    name: 'pairs',
    key: ['a', 'b'],
    ddl: 'CREATE TABLE pairs (a INTEGER NOT NULL, b TEXT NOT NULL, v TEXT, PRIMARY KEY (a, b))',
  },
  { name: 'words', key: ['w'], ddl: 'CREATE TABLE words (w TEXT PRIMARY KEY, v TEXT)' },
  { name: 'things', key: ['id'], ddl: 'CREATE TABLE things (id UUID PRIMARY KEY, v TEXT)' },
];

/** The difference check finds every kind of difference, wherever it sits, for every key shape. */
describe('difference check: range digests and bisection, every key shape', () => {
  let stack: Stack;
  let dir: string;
  let dbPath: string;
  let creds: { customerId: string; databaseId: string; secret: string };
  let agent: SyncAgent;
  let admin: pg.Client;

  const differences = async () =>
    (
      await Promise.all(TABLES.map((t) => compareTable(dbPath, stack.databaseUrl, creds.databaseId, t.name, t.key)))
    ).flat();

  /** Passes until equal after a whole round; returns how many it took. */
  async function syncUntilEqual(max = 20): Promise<number> {
    let roundDone = false;
    for (let n = 1; n <= max; n++) {
      const report = await agent.cycle();
      const failed = report.tables.filter((t) => 'error' in t);
      if (failed.length) throw new Error(JSON.stringify(failed));
      roundDone ||= report.tables.every((t) => 'position' in t && t.position === 0n && t.steps.at(-1) === 'equal');
      if (roundDone && (await differences()).length === 0) return n;
    }
    throw new Error(`still different after ${max} passes: ${(await differences()).slice(0, 5).join('\n')}`);
  }

  beforeAll(async () => {
    stack = await startStack('diffcheck', 2);
    dir = mkdtempSync(join(tmpdir(), 'rowferry-diff-'));
    dbPath = join(dir, 'keys.db');
    const db = new Database(dbPath);
    for (const t of TABLES) db.exec(t.ddl);
    db.transaction(() => {
      for (let i = 1; i <= 3000; i++) {
        db.prepare('INSERT INTO ints VALUES (?, ?)').run(i, `v${i}`);
        db.prepare('INSERT INTO pairs VALUES (?, ?, ?)').run(i % 300, `b${i}`, `v${i}`);
        db.prepare('INSERT INTO words VALUES (?, ?)').run(
          [`Wort-${i}`, `wort-${i}-ß`, `Ölfeld ${i}`, `東京 ${i}`, `emoji ${i} 😀`][i % 5],
          `v${i}`,
        );
        db.prepare('INSERT INTO things VALUES (?, ?)').run(randomUUID(), `v${i}`);
      }
    })();
    db.close();
    creds = await enrollDatabase(stack, 'keys');
    agent = configuredAgent(stack, dir, creds, {
      source: { type: 'sqlite', path: 'keys.db' },
      tables: TABLES.map(({ name, key }) => ({ name, key })),
      sliceRows: SLICE,
      // A round every pass (docs/difference-check.md, Schedule): these tests are of the check's slices and bisection.
      verifyEvery: '1s',
    });
    await agent.source.installTracking(TABLES);
    admin = new pg.Client({ connectionString: stack.databaseUrl });
    await admin.connect();
    await syncUntilEqual();
  });

  afterAll(async () => {
    await agent?.close();
    await admin?.end();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('repairs deletes at slice boundaries and at the first and last version, rows missing remotely and rows older remotely', async () => {
    const db = new Database(dbPath);
    db.defaultSafeIntegers(true);
    for (const t of TABLES) {
      const versions = db
        .prepare(`SELECT _rowferry_version FROM ${t.name} ORDER BY _rowferry_version`)
        .pluck()
        .all() as bigint[];
      // Local deletes: the last row of the first slice and the first row of the second, the first and the last version.
      const doomed = [versions[SLICE - 1], versions[SLICE], versions[0], versions[versions.length - 1]];
      for (const v of doomed) db.prepare(`DELETE FROM ${t.name} WHERE _rowferry_version = ?`).run(v);
      // Remote damage: rows gone remotely, and rows whose remote copy is older and stale.
      await admin.query(`DELETE FROM rowferry_data.${t.name} WHERE _rf_database = $1 AND _rf_version IN ($2, $3, $4)`, [
        creds.databaseId,
        versions[1000],
        versions[1733],
        versions[2999 - 7],
      ]);
      await admin.query(
        `UPDATE rowferry_data.${t.name} SET v = 'stale', _rf_version = _rf_version - 1 WHERE _rf_database = $1 AND _rf_version IN ($2, $3)`,
        [creds.databaseId, versions[42], versions[2500]],
      );
    }
    db.close();
    expect((await differences()).length).toBe(TABLES.length * 9);
    const passes = await syncUntilEqual();
    expect(passes).toBeLessThanOrEqual(8);
    expect(await differences()).toEqual([]);
  });

  it('keeps the traffic of verifying an equal table small: digests, not key lists', async () => {
    const before = { ...agent.api.traffic };
    await syncUntilEqual(); // a full round over 12,000 equal rows
    const sent = agent.api.traffic.sent - before.sent;
    expect(sent).toBeLessThan(20_000); // key lists alone would be ~300 KB
  });
});
