import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { SyncAgent } from '../../apps/agent/src/agent.js';
import { loadAgentConfig } from '../../apps/agent/src/config.js';
import { enrollDatabase, type Stack } from '../lib/stack.js';

export interface FairnessOptions {
  floodDatabases: number;
  floodRows: number;
  floodInFlight: number;
  small: number;
  seconds: number;
}

/**
 * `npm run bench -- fairness`: one customer floods with several databases' initial loads at a high maxInFlight,
 * while small tenants change 5 rows every 2 s. Measured in one run: the small tenants' change-to-cloud latency idle
 * and under the flood (p95), the flood's throughput alone and beside the small tenants, and the 429s the flood got.
 */
export async function fairness(stack: Stack, o: FairnessOptions): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'rowferry-fairness-'));
  const remote = new pg.Client({ connectionString: stack.databaseUrl });
  await remote.connect();
  try {
    const small = await Promise.all(Array.from({ length: o.small }, (_, i) => agentFor(stack, dir, `small${i}`, 100, 4)));
    const idleUntil = Date.now() + o.seconds * 1000;
    const idle = await smallTenantsWhile(small, remote, () => Date.now() < idleUntil);
    const alone = await flood(stack, dir, 'alone', o);
    let flooding = true;
    const [together, busy] = await Promise.all([flood(stack, dir, 'together', o).finally(() => (flooding = false)), smallTenantsWhile(small, remote, () => flooding)]);
    await Promise.all(small.map((s) => s.agent.close()));
    small.forEach((s) => s.db.close());
    return {
      scenario: 'fairness',
      flood: { databases: o.floodDatabases, rows_each: o.floodRows, max_in_flight: o.floodInFlight },
      small_tenants: o.small,
      small_p95_ms: { idle: p95(idle), under_flood: p95(busy), ratio: round(p95(busy) / p95(idle)) },
      small_changes_measured: { idle: idle.length, under_flood: busy.length },
      flood_rows_per_s: { alone: alone.rowsPerSecond, with_small_tenants: together.rowsPerSecond, ratio: round(together.rowsPerSecond / alone.rowsPerSecond) },
      flood_429s: { alone: alone.refusals, with_small_tenants: together.refusals },
    };
  } finally {
    await remote.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface BenchAgent {
  agent: SyncAgent;
  databaseId: string;
  db: Database.Database;
}

/** A database of `rows` rows in a SQLite file, enrolled, and its agent's config file: the config's path and the database id. */
async function sourceFor(stack: Stack, dir: string, name: string, rows: number, maxInFlight: number): Promise<{ config: string; databaseId: string }> {
  const creds = await enrollDatabase(stack, name);
  const db = new Database(join(dir, `${name}.db`));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER, note TEXT)');
  const insert = db.prepare('INSERT INTO items VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= rows; i++) insert.run(i, `item ${i}`, i % 1000, i % 3 ? null : `note ${i}`);
  })();
  db.close();
  writeFileSync(join(dir, `${name}.creds.json`), JSON.stringify(creds));
  const config = join(dir, `${name}.json`);
  writeFileSync(
    config,
    JSON.stringify({ api: { url: stack.apiUrl, credentialsFile: `${name}.creds.json` }, source: { type: 'sqlite', path: `${name}.db` }, tables: [{ name: 'items' }], batchRows: 20_000, maxInFlight, sliceRows: 1000 }),
  );
  return { config, databaseId: creds.databaseId };
}

/** A small tenant's agent, here in the bench's process, with its database open for changes. */
async function agentFor(stack: Stack, dir: string, name: string, rows: number, maxInFlight: number): Promise<BenchAgent> {
  const { config, databaseId } = await sourceFor(stack, dir, name, rows, maxInFlight);
  const agent = new SyncAgent(loadAgentConfig(config), () => undefined);
  await agent.source.installTracking(['items']);
  await agent.registerTables();
  return { agent, databaseId, db: new Database(join(dir, `${name}.db`)) };
}

/**
 * The flood: every database's initial load at once, each agent in its own process (as on customers' machines, and
 * so that the flood does not share the small tenants' event loop here); its throughput and the 429s it got.
 */
async function flood(stack: Stack, dir: string, label: string, o: FairnessOptions): Promise<{ rowsPerSecond: number; refusals: number }> {
  const configs = await Promise.all(Array.from({ length: o.floodDatabases }, (_, i) => sourceFor(stack, dir, `flood_${label}_${i}`, o.floodRows, o.floodInFlight)));
  // Niced: on this one box the flooding agents' own CPU stands in for their customers' machines, not the server's.
  const agents = configs.map(({ config }) => spawn('nice', ['-n', '19', process.execPath, fileURLToPath(new URL('./flood-agent.js', import.meta.url)), config], { stdio: ['pipe', 'pipe', 'inherit'] }));
  const lines = agents.map((p) => createInterface({ input: p.stdout! })[Symbol.asyncIterator]());
  for (const l of lines) if ((await l.next()).value !== 'ready') throw new Error('a flooding agent did not get ready');
  const t0 = performance.now();
  for (const p of agents) p.stdin!.write('go\n');
  const results = await Promise.all(lines.map(async (l) => JSON.parse((await l.next()).value as string) as { refusals: number; failed: unknown }));
  const seconds = (performance.now() - t0) / 1000;
  const failed = results.find((r) => r.failed);
  if (failed) throw new Error(`a flooding agent failed: ${JSON.stringify(failed.failed)}`);
  return { rowsPerSecond: Math.round((o.floodDatabases * o.floodRows) / seconds), refusals: results.reduce((n, r) => n + r.refusals, 0) };
}

/**
 * The small tenants while `going()`: each changes 5 rows every 2 s while its agent passes continuously; the latency
 * of a change is from its local commit until the cloud holds its version.
 */
async function smallTenantsWhile(small: BenchAgent[], remote: pg.Client, going: () => boolean): Promise<number[]> {
  const latencies: number[] = [];
  await Promise.all(
    small.map(async (s, i) => {
      let changing = true;
      const passing = (async () => {
        while (changing) await s.agent.cycle();
      })();
      const update = s.db.prepare('UPDATE items SET qty = qty + 1 WHERE id = ?');
      for (let round = 0; going(); round++) {
        const ids = Array.from({ length: 5 }, (_, k) => 1 + ((round * 5 + k + i) % 100));
        s.db.transaction(() => ids.forEach((id) => update.run(id)))();
        const version = (s.db.prepare('SELECT max(_rowferry_version) AS v FROM items').get() as { v: number }).v;
        const changed = performance.now();
        for (const giveUp = changed + 60_000; performance.now() < giveUp; ) {
          const { rows } = await remote.query('SELECT max(_rf_version)::bigint AS v FROM rowferry_data.items WHERE _rf_database = $1', [s.databaseId]);
          if (Number(rows[0].v) >= version) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        latencies.push(performance.now() - changed);
        await new Promise((r) => setTimeout(r, Math.max(0, 2000 - (performance.now() - changed))));
      }
      changing = false;
      await passing;
    }),
  );
  return latencies;
}

function p95(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? NaN);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
