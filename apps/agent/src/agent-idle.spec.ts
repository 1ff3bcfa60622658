import Database from 'better-sqlite3';
import { copyFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VersionInfo } from '#contracts';
import { SyncAgent } from './agent.js';
import type { AgentConfig } from './config.js';
import type { PassCheck } from './check-plan.js';

/**
 * The agent's idle passes against a real SQLite database and an API that answers from memory: what a pass reads
 * before it decides, and what ends the watch (docs/sync-model.md, Idle passes).
 */
describe('SyncAgent idle passes', () => {
  let dir: string;
  let db: Database.Database;
  let agent: SyncAgent;
  const registered: string[][] = [];
  let due = false;
  let lastModifiedAt: string | null = null;

  const counter = () => String(db.prepare('SELECT value FROM _rowferry_counter WHERE id = 1').pluck().get());
  const info = (): VersionInfo => ({
    table: 't',
    maxVersion: counter(),
    appliedThrough: counter(),
    rowCount: '2',
    lastModifiedAt,
    pendingJobs: 0,
    schemaError: null,
    timeline: '0',
    backfillFrom: null,
    quarantined: 0,
  });
  /** Counts the describes from now on. */
  function countDescribes(): { n: number } {
    const count = { n: 0 };
    const describe = agent.source.describe.bind(agent.source);
    agent.source.describe = async (t) => {
      count.n++;
      return describe(t);
    };
    return count;
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rowferry-agent-idle-'));
    db = new Database(join(dir, 'db.sqlite'));
    db.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b');`);
    writeFileSync(join(dir, 'creds.json'), JSON.stringify({ customerId: 'c', databaseId: 'd', secret: 's' }));
    const config = {
      api: { url: 'http://127.0.0.1:9', credentialsFile: join(dir, 'creds.json') },
      source: { type: 'sqlite', path: join(dir, 'db.sqlite') },
      tables: [{ name: 't' }],
      stateFile: join(dir, 'state.json'),
      ...{ intervalSeconds: 30, batchRows: 1000, maxInFlight: 2, sliceRows: 1000 },
      ...{ verifyEvery: 21_600, verifyContentEvery: 0 },
    } as unknown as AgentConfig;
    agent = new SyncAgent(config, () => undefined);
    await agent.source.installTracking([{ name: 't' }]);
    registered.length = 0;
    due = false;
    lastModifiedAt = null;
    // The remote is always as far as the local database: every pass finds the table equal.
    Object.assign(agent.api, {
      registerTable: async (_: string, def: { columns: { name: string }[] }) => {
        registered.push(def.columns.map((c) => c.name));
        return { added: [] };
      },
      allVersionInfo: async () => [info()],
      versionInfo: async () => info(),
      markerFacts: async () => ({ recorded: null, serverHasMarkers: false }),
      recordMarker: async () => undefined,
      rangeHash: async () => {
        throw new Error('this remote holds no rows to check'); // a due check's pass fails at once: it ran
      },
    });
    const checks = (agent as unknown as { checks: { plan: () => PassCheck } }).checks;
    checks.plan = () => ({ position: 0n, sliceRows: due ? 1000 : undefined, content: false });
  });

  afterEach(async () => {
    await agent.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads its starting pulse before describing: a column added while the tables are described is registered next', async () => {
    await agent.cycle();
    await agent.cycle();
    const describe = agent.source.describe.bind(agent.source);
    agent.source.describe = async (t) => {
      const described = await describe(t);
      agent.source.describe = describe;
      db.exec(`ALTER TABLE t ADD COLUMN extra TEXT DEFAULT 'x'`); // a migration lands here
      return described;
    };
    lastModifiedAt = new Date().toISOString(); // the server's info moved: the next pass is a full one, and describes
    for (let pass = 0; pass < 3; pass++) await agent.cycle();
    expect(registered.at(-1)).toEqual(['id', 'name', 'extra']);
  });

  it('ends at once while nothing changes, and not when a check is due', async () => {
    for (let pass = 0; pass < 3; pass++) await agent.cycle();
    const described = countDescribes();
    const idle = await agent.cycle();
    expect(idle.tables.map((r) => ('steps' in r ? r.steps : r))).toEqual([['equal']]);
    expect(described.n).toBe(0);
    due = true;
    await agent.cycle();
    expect(described.n).toBe(1);
  });

  it('a replaced database file ends it: the reopened file is described', async () => {
    for (let pass = 0; pass < 3; pass++) await agent.cycle();
    const described = countDescribes();
    db.close();
    copyFileSync(join(dir, 'db.sqlite'), join(dir, 'copy.sqlite'));
    renameSync(join(dir, 'copy.sqlite'), join(dir, 'db.sqlite')); // a restore by rename
    db = new Database(join(dir, 'db.sqlite'));
    await agent.cycle();
    expect(described.n).toBe(1);
  });
});
