import { Command } from 'commander';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import pg from 'pg';
import { SyncAgent } from '../../apps/agent/src/agent.js';
import { loadAgentConfig } from '../../apps/agent/src/config.js';
import { QUEUE_NAMES } from '#contracts';
import { redisConnection } from '#queues';
import { enrollDatabase, startStack, type Stack } from '../lib/stack.js';
import { agentProcess, round, withServices, type AgentProcess } from './support.js';

export const fairness = new Command('fairness')
  .description(
    "one customer's flood beside small tenants: their latency and the flood's throughput, each against running alone",
  )
  .option('--flood-databases <n>', "the flooding customer's databases, each with its own agent", (v) => Number(v), 3)
  .option('--flood-rows <n>', 'rows of each flooding database', (v) => Number(v), 200_000)
  .option(
    '--flood-in-flight <n>',
    "each flooding agent's maxInFlight (above the share, so the cap engages)",
    (v) => Number(v),
    48,
  )
  .option('--share <n>', "the API's TENANT_MAX_JOBS: jobs in flight a database may have", (v) => Number(v), 16)
  .option('--small <n>', 'small tenants, each changing 5 rows every 2 s', (v) => Number(v), 3)
  .option('--seconds <n>', 'how long the small tenants are measured idle', (v) => Number(v), 30)
  .option('--workers <n>', 'worker processes', (v) => Number(v), 2)
  .option(
    '--express-workers <n>',
    'worker processes for the express lane alone (WORKER_QUEUES); the others then consume every other queue',
    (v) => Number(v),
    0,
  )
  .action((o) =>
    withServices(async () => {
      const others = QUEUE_NAMES.filter((q) => q !== 'upload-express').join(',');
      const stack = await startStack('fairness', o.workers + o.expressWorkers, {
        env: { TENANT_MAX_JOBS: String(o.share) },
        workerEnv: (n): Record<string, string> =>
          o.expressWorkers === 0 ? {} : { WORKER_QUEUES: n < o.expressWorkers ? 'upload-express' : others },
      });
      try {
        console.log(`RESULT ${JSON.stringify(await measureFairness(stack, o))}`);
      } finally {
        await stack.stop();
      }
    }),
  );

interface FairnessOptions {
  floodDatabases: number;
  floodRows: number;
  floodInFlight: number;
  small: number;
  seconds: number;
  workers: number;
  expressWorkers: number;
}

/**
 * `npm run bench -- fairness`: one customer floods with several databases' initial loads at a high maxInFlight,
 * while small tenants change 5 rows every 2 s. Measured in one run: the small tenants' change-to-cloud latency idle
 * and under the flood (p95), the flood's throughput alone and beside the small tenants, and the 429s the flood got.
 */
async function measureFairness(stack: Stack, o: FairnessOptions): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'rowferry-fairness-'));
  // One connection per small tenant, so that their look-ups do not queue behind each other.
  const remote = new pg.Pool({ connectionString: stack.databaseUrl, max: o.small });
  try {
    const small = await Promise.all(
      Array.from({ length: o.small }, (_, i) => agentFor(stack, dir, `small${i}`, 100, 4)),
    );
    // The small agents share this process's event loop: a stall of it is theirs too, so it is measured beside them.
    const stalls = monitorEventLoopDelay({ resolution: 10 });
    stalls.enable();
    await eventLoopDelays(stack);
    const idleUntil = Date.now() + o.seconds * 1000;
    const idleChanges = await smallTenantsWhile(small, remote, () => Date.now() < idleUntil);
    const idleStall = stalls.max;
    const idleDelay = await eventLoopDelays(stack);
    const idle = await stages(stack, small, idleChanges);
    // Alone before and after: each flood loads into tables the earlier ones grew (and autovacuum then visits), so a
    // later load is slower for that alone; the mean of the two runs around it is the fair reference.
    const aloneBefore = await (await readyFlood(stack, dir, 'alone', o)).run();
    const ready = await readyFlood(stack, dir, 'together', o);
    let flooding = true;
    stalls.reset();
    await eventLoopDelays(stack);
    const [together, underFlood] = await Promise.all([
      ready.run().finally(() => (flooding = false)),
      smallTenantsWhile(small, remote, () => flooding),
    ]);
    const busyStall = stalls.max;
    const busyDelay = await eventLoopDelays(stack);
    stalls.disable();
    const busy = await stages(stack, small, underFlood);
    const aloneAfter = await (await readyFlood(stack, dir, 'alone_after', o)).run();
    const alone = Math.round((aloneBefore.rowsPerSecond + aloneAfter.rowsPerSecond) / 2);
    await Promise.all(small.map((s) => s.agent.close()));
    small.forEach((s) => s.db.close());
    return {
      scenario: 'fairness',
      flood: { databases: o.floodDatabases, rows_each: o.floodRows, max_in_flight: o.floodInFlight },
      workers: {
        all_queues: o.expressWorkers ? 0 : o.workers,
        express_only: o.expressWorkers,
        others: o.expressWorkers ? o.workers : 0,
      },
      small_tenants: o.small,
      small_p95_ms: { idle: idle.latency, under_flood: busy.latency, ratio: round(busy.latency / idle.latency) },
      small_stages_p95_ms: { idle, under_flood: busy },
      small_changes_measured: { idle: idle.changes, under_flood: busy.changes },
      bench_event_loop_stall_max_ms: { idle: Math.round(idleStall / 1e6), under_flood: Math.round(busyStall / 1e6) },
      api_event_loop_delay_ms: { idle: idleDelay.api, under_flood: busyDelay.api },
      workers_event_loop_delay_ms: { idle: idleDelay.workers, under_flood: busyDelay.workers },
      flood_rows_per_s: {
        alone_before: aloneBefore.rowsPerSecond,
        with_small_tenants: together.rowsPerSecond,
        alone_after: aloneAfter.rowsPerSecond,
        ratio: round(together.rowsPerSecond / alone),
      },
      flood_429s: {
        alone: aloneBefore.refusals + aloneAfter.refusals,
        with_small_tenants: together.refusals,
      },
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
  /** How long each of the agent's requests took, by route (ms), since the last look. */
  requests: Map<string, number[]>;
}

/**
 * A database of `rows` rows in a SQLite file, enrolled, and its agent's config file: the config's path and the database
 * id.
 */
async function sourceFor(
  stack: Stack,
  dir: string,
  name: string,
  rows: number,
  maxInFlight: number,
): Promise<{ config: string; databaseId: string }> {
  const creds = await enrollDatabase(stack, name);
  const db = new Database(join(dir, `${name}.db`));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER, note TEXT)');
  // In SQL: rows made in JavaScript leave garbage whose collection later stalls the small agents in this process.
  db.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
     INSERT INTO items SELECT i, 'item ' || i, i % 1000, CASE WHEN i % 3 = 0 THEN 'note ' || i END FROM n`,
  ).run(rows);
  db.close();
  writeFileSync(join(dir, `${name}.creds.json`), JSON.stringify(creds));
  const config = join(dir, `${name}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      api: { url: stack.apiUrl, credentialsFile: `${name}.creds.json` },
      source: { type: 'sqlite', path: `${name}.db` },
      tables: [{ name: 'items' }],
      // Each agent its own state: the agents share this directory.
      stateFile: `${name}.state.json`,
      batchRows: 20_000,
      maxInFlight,
      sliceRows: 1000,
    }),
  );
  return { config, databaseId: creds.databaseId };
}

/** A small tenant's agent, here in the bench's process, with its database open for changes. */
async function agentFor(
  stack: Stack,
  dir: string,
  name: string,
  rows: number,
  maxInFlight: number,
): Promise<BenchAgent> {
  const { config, databaseId } = await sourceFor(stack, dir, name, rows, maxInFlight);
  const agent = new SyncAgent(loadAgentConfig(config), () => undefined);
  await agent.source.installTracking([{ name: 'items' }]);
  await agent.registerTables();
  const requests = new Map<string, number[]>();
  const started = new Map<string, number[]>();
  agent.api.http.observe((e) => {
    const route = `${e.method} …${e.path.replace(/^.*databases\/[^/]+/, '').replace(/jobs\/.*/, 'jobs/{id}')}`;
    const key = `${e.method} ${e.path}`;
    if (e.phase === 'sent') return void started.set(key, [...(started.get(key) ?? []), Date.now()]);
    requests.set(route, [...(requests.get(route) ?? []), Date.now() - started.get(key)!.shift()!]);
  });
  return { agent, databaseId, db: new Database(join(dir, `${name}.db`)), requests };
}

/**
 * The flood, made ready: every database written and its agent started in its own process (as on customers' machines,
 * and so that the flood does not share the small tenants' event loop here), tracking installed and tables registered.
 * Nothing of that is measured: writing the databases blocks this process, the small tenants' too.
 */
async function readyFlood(stack: Stack, dir: string, label: string, o: FairnessOptions): Promise<Flood> {
  const configs = await Promise.all(
    Array.from({ length: o.floodDatabases }, (_, i) =>
      sourceFor(stack, dir, `flood_${label}_${i}`, o.floodRows, o.floodInFlight),
    ),
  );
  // Niced: on this one box the flooding agents' own CPU stands in for their customers' machines, not the server's.
  const agents = await Promise.all(configs.map(({ config }) => agentProcess(config, 19)));
  return { run: () => runFlood(agents, o) };
}

interface Flood {
  /** Every database's initial load at once: the flood's throughput and the 429s it got. */
  run(): Promise<{ rowsPerSecond: number; refusals: number }>;
}

async function runFlood(
  agents: AgentProcess[],
  o: FairnessOptions,
): Promise<{ rowsPerSecond: number; refusals: number }> {
  const t0 = performance.now();
  const results = await Promise.all(agents.map((a) => a.pass()));
  const seconds = (performance.now() - t0) / 1000;
  const failed = results.find((r) => r.failed);
  if (failed) throw new Error(`a flooding agent failed: ${JSON.stringify(failed.failed)}`);
  return {
    rowsPerSecond: Math.round((o.floodDatabases * o.floodRows) / seconds),
    refusals: results.reduce((n, r) => n + r.refusals, 0),
  };
}

/** One small tenant's change: when it was committed locally and when the cloud held it (ms since the epoch). */
interface Change {
  databaseId: string;
  committed: number;
  arrived: number;
}

/**
 * The small tenants while `going()`: each changes 5 rows every 2 s, and its agent makes a pass right after each
 * change; a change has arrived when the cloud holds its version.
 */
async function smallTenantsWhile(small: BenchAgent[], remote: pg.Pool, going: () => boolean): Promise<Change[]> {
  const changes: Change[] = [];
  await Promise.all(
    small.map(async (s, i) => {
      const update = s.db.prepare('UPDATE items SET qty = qty + 1 WHERE id = ?');
      for (let round = 0; going(); round++) {
        const ids = Array.from({ length: 5 }, (_, k) => 1 + ((round * 5 + k + i) % 100));
        s.db.transaction(() => ids.forEach((id) => update.run(id)))();
        // The newest version and its row; the cloud holds the change once that row there has it (a key look-up, so
        // that measuring does not add a scan to the load being measured).
        const newest = s.db
          .prepare('SELECT id, _rowferry_version AS v FROM items ORDER BY _rowferry_version DESC LIMIT 1')
          .get() as { id: number; v: number };
        const committed = Date.now();
        // The pass that carries the change starts as it is committed, as if the agent's interval fell then: what is
        // measured is the pipeline, not the interval. (Passes back to back, as the bench ran them before, made each
        // small tenant a continuous load of difference checks, which is not what a small tenant is.)
        const pass = s.agent.cycle();
        for (const giveUp = committed + 60_000; Date.now() < giveUp;) {
          const { rows } = await remote.query(
            'SELECT _rf_version::bigint AS v FROM rowferry_data.items WHERE _rf_database = $1 AND id = $2',
            [s.databaseId, newest.id],
          );
          if (Number(rows[0]?.v) >= newest.v) break;
          await new Promise((r) => setTimeout(r, 20));
        }
        changes.push({ databaseId: s.databaseId, committed, arrived: Date.now() });
        await pass; // the rest of it (its difference check) before the next change
        await new Promise((r) => setTimeout(r, Math.max(0, 2000 - (Date.now() - committed))));
      }
    }),
  );
  return changes;
}

interface Stages {
  changes: number;
  latency: number;
  enqueue: number;
  wait: number;
  run: number;
  seen: number;
  /** The agents' requests by route. */
  requests: Record<string, number>;
}

/**
 * Where the small tenants' changes spent their time (p95 of each stage, ms): until the agent enqueued the upload
 * (its pass, the API), waiting for a worker, in the worker, and until the bench saw it arrive.
 */
async function stages(stack: Stack, small: BenchAgent[], changes: Change[]): Promise<Stages> {
  // Both lanes: a small change's upload takes the express lane, a pass after a long gap may not.
  const queues = (['upload', 'upload-express'] as const).map(
    (name) => new Queue(name, { connection: redisConnection(), prefix: stack.env.QUEUE_PREFIX }),
  );
  try {
    const completed = await Promise.all(queues.map((q) => q.getJobs(['completed'])));
    const jobs = completed.flat().sort((a, b) => a.timestamp - b.timestamp);
    const rows = changes.flatMap((c) => {
      // By its id (`<database id>.<table>.<uuid>`): a completed job's data is gone once its result was read.
      const job = jobs.find((j) => j.id!.startsWith(`${c.databaseId}.`) && j.timestamp >= c.committed);
      return job
        ? [
            {
              enqueue: job.timestamp - c.committed,
              wait: job.processedOn! - job.timestamp,
              run: job.finishedOn! - job.processedOn!,
              seen: c.arrived - job.finishedOn!,
            },
          ]
        : [];
    });
    return {
      changes: changes.length,
      latency: p95(changes.map((c) => c.arrived - c.committed)),
      enqueue: p95(rows.map((r) => r.enqueue)),
      wait: p95(rows.map((r) => r.wait)),
      run: p95(rows.map((r) => r.run)),
      seen: p95(rows.map((r) => r.seen)),
      requests: Object.fromEntries(
        [...new Set(small.flatMap((s) => [...s.requests.keys()]))].map((route) => [
          route,
          p95(small.flatMap((s) => s.requests.get(route) ?? [])),
        ]),
      ),
    };
  } finally {
    await Promise.all(queues.map((q) => q.close()));
    for (const s of small) s.requests.clear();
  }
}

/**
 * The API's and each worker's event-loop delay (p99 and max, ms) since the last call: how long a request or a job's
 * next step waits for its process's loop, whatever it waits behind. Read from their metrics (prom-client resets the
 * histogram at each scrape).
 */
async function eventLoopDelays(stack: Stack) {
  const [api, ...workers] = await Promise.all(
    [stack.apiUrl, ...stack.workerOpsUrls].map((url) => loopDelay(stack, url)),
  );
  return { api, workers };
}

async function loopDelay(stack: Stack, baseUrl: string): Promise<{ p99: number; max: number }> {
  const text = await (
    await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${stack.metricsToken}` } })
  ).text();
  const ms = (name: string) =>
    Math.round(Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1]) * 1000);
  return { p99: ms('nodejs_eventloop_lag_p99_seconds'), max: ms('nodejs_eventloop_lag_max_seconds') };
}

function p95(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? NaN);
}
