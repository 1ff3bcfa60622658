import Database from 'better-sqlite3';
import { Command } from 'commander';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { SyncAgent } from '../../apps/agent/src/agent.js';
import { configuredAgent, type Credentials } from '../lib/agent-config.js';
import { enrollDatabase, startStack, type Stack } from '../lib/stack.js';
import { childCpuSeconds, cpuSeconds, cpuSecondsOf, round, withServices } from './support.js';

interface FleetAgent {
  agent: SyncAgent;
  db: Database.Database;
  creds: Credentials;
  home: string;
}

/** `rowferry-agent run --once` of the first agent, as cron would run it, three times: wall and CPU seconds, best. */
function runOnce(home: string) {
  const cli = new URL('../../../bin/rowferry-agent.js', import.meta.url).pathname;
  const runs = [0, 1, 2].map(() => {
    const [t0, c0] = [performance.now(), childCpuSeconds()];
    execFileSync(process.execPath, [cli, 'run', '--once', '-c', join(home, 'agent.json')], { stdio: 'ignore' });
    return { wall_s: round((performance.now() - t0) / 1000), cpu_s: round(childCpuSeconds() - c0) };
  });
  return runs.sort((a, b) => a.wall_s - b.wall_s)[0];
}

/** CPU seconds so far of each part: the API, the workers, PostgreSQL, Redis, and this process (the agents). */
function cpu(stack: Stack) {
  const own = process.cpuUsage();
  return {
    api: cpuSeconds(stack.pids[0]),
    workers: stack.pids.slice(1).reduce((n, pid) => n + cpuSeconds(pid), 0),
    postgres: cpuSecondsOf('postgres'),
    redis: cpuSecondsOf('redis-server'),
    agents: (own.user + own.system) / 1e6,
  };
}
type Cpu = ReturnType<typeof cpu>;
const spent = (a: Cpu, b: Cpu) =>
  Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v - a[k as keyof Cpu]])) as Cpu;

/** One pass of every agent, one after another; the requests they made. */
async function passAll(fleet: FleetAgent[]): Promise<number> {
  let requests = 0;
  for (const f of fleet) {
    const before = f.agent.api.traffic.requests;
    const r = await f.agent.cycle();
    const failed = r.tables.find((t) => 'error' in t);
    if (failed) throw new Error(`pass failed: ${JSON.stringify(failed)}`);
    requests += f.agent.api.traffic.requests - before;
  }
  return requests;
}

/**
 * `npm run bench -- idle-fleet --agents 200 --tables 5`: many agents (in this process, each with its own SQLite
 * database, credentials and state) against one stack. Once loaded and checked, the fleet runs idle passes, then passes
 * with a trickle of changes, and the scenario prints CPU-seconds per agent-hour of each part (at `--interval`-second
 * passes, and the difference check's rounds amortised over `verifyEvery`), requests per pass, and how long a trickled
 * change took to reach the cloud.
 */
export const idleFleet = new Command('idle-fleet')
  .description('a fleet of idle agents against one stack: what each costs an hour')
  .option('--agents <n>', 'agents (databases)', (v) => Number(v), 200)
  .option('--tables <n>', 'tables per database', (v) => Number(v), 5)
  .option('--rows <n>', 'rows per table', (v) => Number(v), 1000)
  .option('--passes <n>', 'idle passes of the whole fleet to measure', (v) => Number(v), 5)
  .option('--interval <s>', 'seconds between an agent’s passes, for the hourly figures', (v) => Number(v), 30)
  .option('--verify-every <h>', 'hours a round of the difference check is spread over', (v) => Number(v), 6)
  .option('--workers <n>', 'worker processes', (v) => Number(v), 1)
  .action((o) =>
    withServices(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rowferry-fleet-'));
      const stack = await startStack('idlefleet', o.workers);
      const admin = new pg.Client({ connectionString: stack.databaseUrl });
      await admin.connect();
      const fleet: FleetAgent[] = [];
      try {
        const tables = Array.from({ length: o.tables }, (_, t) => ({ name: `table_${t}` }));
        for (let a = 0; a < o.agents; a++) {
          const home = join(dir, `agent${a}`);
          mkdirSync(home);
          const db = new Database(join(home, 'app.db'));
          for (const { name } of tables) {
            db.exec(`CREATE TABLE ${name} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER, price REAL)`);
            const insert = db.prepare(`INSERT INTO ${name} VALUES (?, ?, ?, ?)`);
            db.transaction(() => {
              for (let i = 1; i <= o.rows; i++) insert.run(i, `name ${i}`, i % 100, i / 100);
            })();
          }
          const creds = await enrollDatabase(stack, `fleet${a}`);
          const agent = configuredAgent(stack, home, creds, {
            source: { type: 'sqlite', path: 'app.db' },
            tables,
            intervalSeconds: o.interval,
            verifyEvery: `${o.verifyEvery}h`,
          });
          await agent.source.installTracking(tables);
          fleet.push({ agent, db, creds, home });
        }
        // The initial load and the first (urgent) round of the check; then the fleet is idle.
        await passAll(fleet);
        await passAll(fleet);

        const idle0 = cpu(stack);
        let requests = 0;
        for (let p = 0; p < o.passes; p++) requests += await passAll(fleet);
        const idle = spent(idle0, cpu(stack));
        const agentPasses = o.agents * o.passes;

        const once = runOnce(fleet[0].home);

        // A trickle: one row changed in one table of every tenth agent, then one pass of the fleet.
        const trickled = fleet.filter((_, a) => a % 10 === 0);
        const latencies: number[] = [];
        for (const f of trickled) {
          f.db.prepare(`UPDATE table_0 SET qty = qty + 1 WHERE id = 1`).run();
          const t0 = performance.now();
          await f.agent.cycle();
          const { rows } = await admin.query(
            `SELECT qty FROM rowferry_data.table_0 WHERE _rf_database = $1 AND id = 1`,
            [f.creds.databaseId],
          );
          if (Number(rows[0].qty) !== 2) throw new Error(`the trickled change did not arrive: qty ${rows[0].qty}`);
          latencies.push(performance.now() - t0);
        }

        // One whole round of the check over every table, as verifyEvery spreads it: its cost amortised per hour.
        const round0 = cpu(stack);
        for (const f of fleet) await f.agent.verify({ content: false });
        const checkRound = spent(round0, cpu(stack));

        const passesPerHour = 3600 / o.interval;
        const perAgentHour = (part: keyof Cpu) =>
          round((idle[part] / agentPasses) * passesPerHour + checkRound[part] / o.agents / o.verifyEvery);
        const hourly = Object.fromEntries((Object.keys(idle) as (keyof Cpu)[]).map((k) => [k, perAgentHour(k)]));
        const cloud = hourly.api + hourly.workers + hourly.postgres + hourly.redis;
        latencies.sort((a, b) => a - b);
        console.log(
          `RESULT ${JSON.stringify({
            scenario: 'idle-fleet',
            agents: o.agents,
            tables: o.tables,
            rows: o.rows,
            interval_s: o.interval,
            verify_every_h: o.verifyEvery,
            idle_pass_cpu_ms: Object.fromEntries(
              Object.entries(idle).map(([k, v]) => [k, round((v * 1000) / agentPasses)]),
            ),
            requests_per_pass: round(requests / agentPasses),
            check_round_cpu_s: Object.fromEntries(Object.entries(checkRound).map(([k, v]) => [k, round(v)])),
            cpu_s_per_agent_hour: { ...hourly, cloud: round(cloud) },
            agents_per_core: {
              api: Math.floor(3600 / hourly.api),
              workers: Math.floor(3600 / hourly.workers),
              postgres: Math.floor(3600 / hourly.postgres),
            },
            run_once: once,
            trickle_ms: { p50: round(latencies[latencies.length >> 1]), max: round(latencies.at(-1)!) },
          })}`,
        );
      } finally {
        for (const f of fleet) {
          await f.agent.close();
          f.db.close();
        }
        await admin.end();
        await stack.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }),
  );
