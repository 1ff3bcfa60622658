import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Redis } from 'ioredis';
import { migrate } from '#persistence';
import { createMariaDatabase, createPgDatabase, serviceUrl } from '../databases.js';
import { freePort } from '../services.js';
import { SERVICE_ENV, serviceArgs } from '../service-command.js';
import { enrollDatabase, type Stack } from '../stack.js';
import { Supervised } from './fleet.js';
import { Random } from './random.js';
import { PrivateServer } from './servers.js';
import { writeAgentConfig } from '../agent-config.js';
import { MariadbTenant } from './mariadb-tenant.js';
import { PostgresTenant } from './postgres-tenant.js';
import { SqliteTenant } from './sqlite-tenant.js';
import { ChaosTenant, chaosAgentSettings } from './tenant.js';

export interface ChaosOptions {
  /** How long faults are injected while the writers write. */
  seconds: number;
  seed: number;
  /** How long the copy may take to converge once the writers stop. */
  convergeTimeoutSeconds?: number;
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  seconds: number;
  faults: Record<string, number>;
  faultLog: string[];
  writes: number;
  rowsCompared: number;
  differences: string[];
  convergedInSeconds: number | null;
  crashes: Record<string, number>;
  quarantined: number;
  /** The comparison itself was shown to catch a difference: one remote value per tenant changed, seen, put back. */
  comparisonCatches: boolean;
  logs: string;
}

const root = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../..' : '../../..', import.meta.url));
const WORKERS = 2;

/**
 * A chaos run (issue 8): private PostgreSQL, Redis and MariaDB; the API, workers and one agent per tenant as
 * supervised processes; random writes in every tenant while faults are injected; then the writers stop, the copy
 * must converge, and every column of every row of every tenant is compared, local against remote.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  // One stream for the faults and one per writer: the writers' timing cannot change which faults a seed injects.
  const rng = new Random(options.seed);
  const work = mkdtempSync(join(tmpdir(), `rowferry-chaos-${options.seed}-`));
  const logs = join(work, 'logs');
  mkdirSync(logs);
  const servers: PrivateServer[] = [];
  const processes: Supervised[] = [];
  const tenants: ChaosTenant[] = [];
  const report: ChaosReport = {
    seed: options.seed,
    seconds: options.seconds,
    faults: {},
    faultLog: [],
    writes: 0,
    rowsCompared: 0,
    differences: [],
    convergedInSeconds: null,
    crashes: {},
    quarantined: 0,
    comparisonCatches: false,
    logs,
  };
  try {
    log(`starting private PostgreSQL, Redis and MariaDB in ${work}`);
    const [postgres, redis, maria] = await Promise.all([
      PrivateServer.postgres(),
      PrivateServer.redis(),
      PrivateServer.mariadb(),
    ]);
    servers.push(postgres, redis, maria);
    const pgBase = `postgres://postgres@127.0.0.1:${postgres.port}`;
    const remoteUrl = `${pgBase}/rowferry`;
    await migrate(remoteUrl);

    const port = await freePort();
    const adminToken = randomBytes(24).toString('hex');
    const env = {
      ...process.env,
      ...SERVICE_ENV,
      DATABASE_URL: await serviceUrl(remoteUrl),
      REDIS_URL: `redis://127.0.0.1:${redis.port}`,
      QUEUE_PREFIX: '{rowferry-chaos}',
      ADMIN_TOKEN: adminToken,
      JOB_SIGNING_KEY: randomBytes(32).toString('hex'),
      PORT: String(port),
      OPS_PORT: '0', // each worker's ops port: any free one
      LOG_LEVEL: 'warn',
    };
    const api = new Supervised('api', serviceArgs(root, 'api'), env, join(logs, 'api.log'));
    const workers = Array.from(
      { length: WORKERS },
      (_, i) => new Supervised(`worker-${i + 1}`, serviceArgs(root, 'worker'), env, join(logs, `worker-${i + 1}.log`)),
    );
    processes.push(api, ...workers);
    for (const p of processes) p.start();
    const apiUrl = `http://127.0.0.1:${port}`;
    await waitForHealth(apiUrl);

    // The tenants: two SQLite databases sharing their remote tables, one PostgreSQL and one MariaDB source.
    const maybeDir = (name: string) => {
      const d = join(work, name);
      mkdirSync(d);
      return d;
    };
    const pgSource = `${pgBase}/source`;
    await createPgDatabase(`${pgBase}/postgres`, 'source');
    const mariaSource = `mysql://root@127.0.0.1:${maria.port}/source`;
    await createMariaDatabase(`mysql://root@127.0.0.1:${maria.port}`, 'source');
    tenants.push(
      new SqliteTenant('sqlite-1', maybeDir('sqlite-1'), 'shop'),
      new SqliteTenant('sqlite-2', maybeDir('sqlite-2'), 'shop'),
      new PostgresTenant('postgres', maybeDir('postgres'), 'pg', pgSource),
      new MariadbTenant('mariadb', maybeDir('mariadb'), 'my', mariaSource),
    );
    const stack = { apiUrl, adminToken } as Stack;
    const agents = new Map<ChaosTenant, Supervised>();
    const databaseIds = new Map<ChaosTenant, string>();
    for (const [i, t] of tenants.entries()) {
      await t.setup(new Random(options.seed * 1000 + i + 1));
      const creds = await enrollDatabase(stack, t.name);
      databaseIds.set(t, creds.databaseId);
      const config = writeAgentConfig(apiUrl, t.dir, creds, chaosAgentSettings(t));
      await t.installTracking();
      const agent = new Supervised(
        `agent-${t.name}`,
        [`${root}/bin/rowferry-agent.js`, 'run', '-c', config],
        process.env,
        join(logs, `agent-${t.name}.log`),
      );
      agents.set(t, agent);
      processes.push(agent);
      agent.start();
    }
    log(
      `${tenants.length} tenants, ${processes.length} processes; writing and injecting faults for ${options.seconds} s (seed ${options.seed})`,
    );

    // Writers: one loop per tenant, until the chaos phase ends.
    let writing = true;
    const writers = tenants.map(async (t, i) => {
      const own = new Random(options.seed * 1000 + i + 1);
      while (writing) {
        await t.write(own);
        report.writes++;
        await sleep(own.int(2, 25));
      }
    });

    // Faults, one every few seconds, chosen by the seed; backups in between, so restores have something to go back to.
    const backups = new Map<ChaosTenant, string[]>();
    const fault = (name: string, detail = '') => {
      report.faults[name] = (report.faults[name] ?? 0) + 1;
      const line = `${((Date.now() - started) / 1000).toFixed(1)} s ${name}${detail ? ` ${detail}` : ''}`;
      report.faultLog.push(line);
      log(`fault: ${line}`);
    };
    const started = Date.now();
    const faults: Record<string, () => Promise<void>> = {
      'kill -9 worker': async () => rng.pick(workers).kill('SIGKILL'),
      'kill -9 agent': async () => agents.get(rng.pick(tenants))!.kill('SIGKILL'),
      'restart API': async () => api.kill('SIGTERM'),
      'kill -9 API': async () => api.kill('SIGKILL'),
      'restart PostgreSQL': async () => postgres.restart(rng.chance(0.5) ? 'SIGINT' : 'SIGKILL'),
      'restart Redis (all jobs lost)': async () => redis.restart('SIGKILL'),
      'Redis loses all its data': async () => {
        const r = new Redis(redis.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
        await r.flushall().finally(() => r.disconnect());
      },
      'restore from an older backup': async () => {
        const candidates = tenants.filter((t) => (backups.get(t)?.length ?? 0) > 0);
        if (candidates.length === 0) return;
        const t = rng.pick(candidates);
        const tag = rng.pick(backups.get(t)!);
        await restore(t, tag);
      },
      'add a column': async () => {
        const t = rng.pick(tenants);
        fault('add a column', await t.addColumn());
      },
    };
    const restore = async (t: ChaosTenant, tag: string) => {
      t.paused = true;
      try {
        const agent = agents.get(t)!;
        if (t instanceof SqliteTenant) {
          // A machine image brings the agent's state back with the file; a plain file restore loses it.
          const state = rng.pick(['restored with the database', 'lost', 'kept'] as const);
          agent.kill('SIGKILL');
          await t.restore(tag);
          if (state !== 'kept') t.restoreState(state === 'lost' ? undefined : tag);
          fault('restore from an older backup', `${t.name} to backup ${tag}, agent state ${state}`);
        } else {
          // A dump loaded into the live database, while its agent runs or after it died.
          if (rng.chance(0.5)) agent.kill('SIGKILL');
          await t.restore(tag);
          fault('restore from an older backup', `${t.name} to backup ${tag}, agent running`);
        }
      } finally {
        t.paused = false; // new writes before the next pass
      }
    };
    let backupCount = 0;
    while (Date.now() - started < options.seconds * 1000) {
      await sleep(rng.int(1500, 4000));
      try {
        if (rng.chance(0.3)) {
          const t = rng.pick(tenants);
          const tag = `b${++backupCount}`;
          t.paused = true;
          await t.backup(tag).finally(() => (t.paused = false));
          backups.set(t, [...(backups.get(t) ?? []), tag].slice(-3));
          continue;
        }
        const name = rng.pick(Object.keys(faults));
        await faults[name]();
        if (name !== 'restore from an older backup' && name !== 'add a column') fault(name);
      } catch (err) {
        // A fault that could not be injected (say, a backup while PostgreSQL restarts) is skipped, not fatal.
        log(`fault skipped: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    writing = false;
    await Promise.all(writers);
    log(`writers stopped after ${report.writes} writes; waiting for the copy to converge`);

    // Quiescence: every tenant equal, every column of every row, twice a few seconds apart.
    const stopped = Date.now();
    const deadline = stopped + (options.convergeTimeoutSeconds ?? 300) * 1000;
    let equalSince: number | null = null;
    for (;;) {
      const results = await Promise.all(
        tenants.map((t) =>
          t
            .compare(remoteUrl, databaseIds.get(t)!)
            .catch((err) => ({ rows: 0, differences: [`${t.name}: compare failed: ${err.message}`] })),
        ),
      );
      report.rowsCompared = results.reduce((n, r) => n + r.rows, 0);
      report.differences = results.flatMap((r) => r.differences);
      if (report.differences.length === 0) {
        equalSince ??= Date.now();
        if (Date.now() - equalSince >= 5000) break;
      } else equalSince = null;
      if (Date.now() > deadline) break;
      await sleep(2000);
    }
    report.convergedInSeconds = equalSince === null ? null : Math.round((equalSince - stopped) / 100) / 10;
    report.quarantined = await countQuarantined(remoteUrl);
    report.comparisonCatches = (
      await Promise.all(tenants.map((t) => comparisonCatches(t, remoteUrl, databaseIds.get(t)!)))
    ).every(Boolean);
    for (const p of processes) report.crashes[p.name] = p.crashes;
    return report;
  } finally {
    for (const p of processes.reverse()) await p.stop();
    for (const t of tenants) await t.close().catch(() => undefined);
    for (const s of servers) await s.destroy();
    // The logs stay where something went wrong (a difference, or a process that died by itself).
    if (report.differences.length === 0 && Object.values(report.crashes).every((n) => n === 0))
      rmSync(work, { recursive: true, force: true });
  }
}

export function formatReport(r: ChaosReport): string {
  const faults = Object.entries(r.faults).map(([k, v]) => `  ${String(v).padStart(3)} × ${k}`);
  const crashes = Object.entries(r.crashes)
    .filter(([, n]) => n > 0)
    .map(([k, v]) => `${k} ${v}`);
  return [
    `chaos run: seed ${r.seed}, ${r.seconds} s of faults, ${r.writes} writes`,
    `faults injected (${Object.values(r.faults).reduce((a, b) => a + b, 0)}):`,
    ...faults,
    `rows compared: ${r.rowsCompared} (every column, local against remote)`,
    `differences: ${r.differences.length}`,
    ...r.differences.slice(0, 10).map((d) => `  ${d.slice(0, 300)}`),
    `time to converge after the writers stopped: ${r.convergedInSeconds === null ? 'did not converge' : `${r.convergedInSeconds} s`}`,
    `quarantined rows: ${r.quarantined}`,
    `the comparison catches a changed remote value: ${r.comparisonCatches ? 'yes' : 'NO'}`,
    `unexpected process exits: ${crashes.length ? crashes.join(', ') : 'none'}`,
    ...(r.differences.length || Object.values(r.crashes).some((n) => n > 0) ? [`logs kept in ${r.logs}`] : []),
  ].join('\n');
}

async function waitForHealth(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (
      await fetch(`${url}/health`)
        .then((r) => r.ok)
        .catch(() => false)
    )
      return;
    await sleep(200);
  }
  throw new Error(`the API at ${url} did not become healthy`);
}

/** Changes one remote value of the tenant, checks that the comparison reports it, and puts it back. */
async function comparisonCatches(t: ChaosTenant, remoteUrl: string, databaseId: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: remoteUrl });
  await c.connect();
  const table = `rowferry_data.${t.tables[0].name}`;
  try {
    const { rows } = await c.query(`SELECT id, name FROM ${table} WHERE _rf_database = $1 ORDER BY id LIMIT 1`, [
      databaseId,
    ]);
    if (rows.length === 0) return false;
    await c.query(`UPDATE ${table} SET name = coalesce(name, '') || ' (changed)' WHERE _rf_database = $1 AND id = $2`, [
      databaseId,
      rows[0].id,
    ]);
    const caught = (await t.compare(remoteUrl, databaseId)).differences.length === 1;
    await c.query(`UPDATE ${table} SET name = $3 WHERE _rf_database = $1 AND id = $2`, [
      databaseId,
      rows[0].id,
      rows[0].name,
    ]);
    return caught && (await t.compare(remoteUrl, databaseId)).differences.length === 0;
  } finally {
    await c.end();
  }
}

async function countQuarantined(remoteUrl: string): Promise<number> {
  const c = new pg.Client({ connectionString: remoteUrl });
  await c.connect();
  try {
    return (await c.query(`SELECT count(*)::int AS n FROM quarantine`)).rows[0].n;
  } finally {
    await c.end();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
