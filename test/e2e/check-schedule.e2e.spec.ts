import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { SyncAgent } from '../../apps/agent/src/agent.js';
import { loadAgentConfig } from '../../apps/agent/src/config.js';
import { statusRows } from '../../apps/agent/src/status-rows.js';
import { configuredAgent, type Credentials } from '../../scripts/lib/agent-config.js';
import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';
import { passOverFirstTable } from '../support/agent.js';

const ROWS = 30_000;
const TABLES = [{ name: 'items' }];

/**
 * The difference check is a budget over time (docs/difference-check.md, Schedule): once a table has gone round, an
 * idle pass makes one request and checks nothing; a slice runs when the time passed has earned it, so a row lost
 * remotely is found and repaired within one verifyEvery; a lost state file makes the copy suspect, and its round runs
 * at once. `status` says when a round last read every row and when the next is due.
 */
describe('the difference check on a schedule', () => {
  let stack: Stack;
  let remote: pg.Client;
  let dir: string;
  let creds: Credentials;
  let agent: SyncAgent;
  const settings = { source: { type: 'sqlite', path: 'shop.db' }, tables: TABLES, intervalSeconds: 1 };

  beforeAll(async () => {
    stack = await startStack('schedule', 1);
    remote = new pg.Client({ connectionString: stack.databaseUrl });
    await remote.connect();
    dir = mkdtempSync(join(tmpdir(), 'rowferry-schedule-'));
    const db = new Database(join(dir, 'shop.db'));
    db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)');
    const insert = db.prepare('INSERT INTO items VALUES (?, ?)');
    db.transaction(() => {
      for (let i = 1; i <= ROWS; i++) insert.run(i, `item ${i}`);
    })();
    db.close();
    creds = await enrollDatabase(stack, 'schedule');
    agent = configuredAgent(stack, dir, creds, { ...settings, verifyEvery: '6h' });
    await agent.source.installTracking(TABLES);
  });

  afterAll(async () => {
    await agent?.close();
    await remote?.end();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const remoteCount = async () =>
    (
      await remote.query<{ n: number }>('SELECT count(*)::int AS n FROM rowferry_data.items WHERE _rf_database = $1', [
        creds.databaseId,
      ])
    ).rows[0].n;

  it('a new table is loaded and checked at once; then an idle pass makes one request and checks nothing', async () => {
    let pass = await passOverFirstTable(agent);
    expect(pass.steps).toEqual(['ahead', 'equal']);
    expect(pass).toMatchObject({ sliced: true, position: 0n, checked: ROWS });
    for (let i = 0; i < 3; i++) {
      const before = agent.api.traffic.requests;
      pass = await passOverFirstTable(agent);
      expect({ requests: agent.api.traffic.requests - before, steps: pass.steps, sliced: pass.sliced }).toEqual({
        requests: 1,
        steps: ['equal'],
        sliced: false,
      });
    }
  });

  it('status says when a round last read every row and when the next one is due', async () => {
    const [row] = await statusRows(loadAgentConfig(join(dir, 'agent.json')), agent.source, agent.api);
    expect(row).toMatchObject({ table: 'items', state: 'equal', lastCheckRepaired: 0 });
    const last = Date.parse(row.lastFullCheckAt!);
    expect(Date.now() - last).toBeLessThan(60_000);
    expect(Date.parse(row.nextFullCheckBy!) - last).toBe(6 * 3_600_000);
  });

  it('a row lost remotely is found and repaired within one verifyEvery, by slices the time has earned', async () => {
    await agent.close();
    // Passes every 250 ms, as the loop below makes them.
    agent = configuredAgent(stack, dir, creds, { ...settings, verifyEvery: '6s', intervalSeconds: 0.25 });
    // The round under way, on the new schedule, goes round first: the next one starts from its end.
    for (let done = false; !done;) {
      const pass = await passOverFirstTable(agent);
      done = pass.sliced && pass.position === 0n;
      if (!done) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await remote.query('DELETE FROM rowferry_data.items WHERE _rf_database = $1 AND id = $2', [
      creds.databaseId,
      29_000,
    ]);
    const lost = Date.now();
    let slices = 0;
    let idle = 0;
    while ((await remoteCount()) < ROWS && Date.now() - lost < 20_000) {
      const pass = await passOverFirstTable(agent);
      if (pass.sliced) slices++;
      else idle++;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(await remoteCount()).toBe(ROWS);
    expect(Date.now() - lost).toBeLessThan(6_000 + 2_000);
    expect(slices).toBeGreaterThanOrEqual(2); // 20,000-row slices: the round came in parts
    expect(idle).toBeGreaterThan(0); // and passes between them checked nothing
    // The repair is proven by a round at once.
    expect((await passOverFirstTable(agent)).sliced).toBe(true);
  });

  it('a lost state file makes the copy suspect: the next pass checks at once', async () => {
    await agent.close();
    agent = configuredAgent(stack, dir, creds, { ...settings, verifyEvery: '6h' });
    // Settled first: rounds until one found nothing, then a pass with no check due.
    let pass = await passOverFirstTable(agent);
    for (let i = 0; pass.sliced && i < 10; i++) pass = await passOverFirstTable(agent);
    expect(pass).toMatchObject({ sliced: false, steps: ['equal'] });
    await agent.close();
    rmSync(join(dir, 'rowferry-state.json'));
    agent = configuredAgent(stack, dir, creds, { ...settings, verifyEvery: '6h' });
    pass = await passOverFirstTable(agent);
    expect(pass).toMatchObject({ sliced: true, steps: ['equal'] });
  });
});
