import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { SyncAgent } from '../../apps/agent/src/agent.js';
import { loadAgentConfig } from '../../apps/agent/src/config.js';
import { compareTable } from '../../scripts/lib/compare.js';
import { createSampleDatabase, SAMPLE_TABLES } from '../../scripts/lib/sample-sqlite.js';
import { startRedis } from '../../scripts/lib/services.js';
import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';
import { writeAgentConfig } from '../../scripts/lib/agent-config.js';
import { AGENT_CLI } from '../support/agent-cli.js';

/**
 * `rowferry-agent run` as a customer runs it, while the jobs it waits on fail for good and then vanish with all of
 * Redis's data (a private Redis, flushed): the process stays up, logs what failed, and the copy converges.
 */
describe('the agent survives jobs that fail or vanish', () => {
  let redis: NonNullable<Awaited<ReturnType<typeof startRedis>>>;
  let stack: Stack;
  let dir: string;
  let agentProc: ChildProcess | undefined;
  let output = '';
  let admin: pg.Client | undefined;

  beforeAll(async () => {
    redis = (await startRedis())!;
    stack = await startStack('survive', 2, { env: { REDIS_URL: `redis://127.0.0.1:${redis.port}` } });
    dir = mkdtempSync(join(tmpdir(), 'rowferry-survive-'));
  });
  afterAll(async () => {
    agentProc?.kill('SIGKILL');
    await admin?.end().catch(() => undefined);
    await stack?.stop();
    redis?.proc.kill('SIGINT');
    rmSync(dir, { recursive: true, force: true });
  });

  async function until(what: string, test: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await test())) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; agent output:\n${output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('keeps running through failed and vanished jobs, then converges exactly', async () => {
    const dbPath = join(dir, 'shop.db');
    createSampleDatabase(dbPath, 30_000);
    const creds = await enrollDatabase(stack, 'survivor');
    const configPath = writeAgentConfig(stack.apiUrl, dir, creds, {
      source: { type: 'sqlite', path: 'shop.db' },
      tables: SAMPLE_TABLES,
      batchRows: 500,
      maxInFlight: 8,
      intervalSeconds: 0.5,
    });
    const setup = new SyncAgent(loadAgentConfig(configPath), () => undefined);
    await setup.source.installTracking(SAMPLE_TABLES);
    await setup.registerTables();
    await setup.close();

    // 1. Every upload fails for good (no privilege): the jobs the agent waits on fail one after the other.
    admin = new pg.Client({ connectionString: stack.databaseUrl });
    admin.on('error', () => undefined); // dropped with the database if the test fails half way
    await admin.connect();
    const tables = SAMPLE_TABLES.map((t) => `rowferry_data.${t.name}`).join(', ');
    await admin.query(`REVOKE INSERT ON ${tables} FROM rowferry_tenant`);
    const cli = AGENT_CLI;
    const proc = spawn(process.execPath, [cli, 'run', '-c', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    agentProc = proc;
    proc.stdout!.on('data', (d) => (output += d));
    proc.stderr!.on('data', (d) => (output += d));
    await until(
      'a failed pass',
      () => /items: pass failed: .*permission denied/.test(output) || proc.exitCode !== null,
    );
    await new Promise((r) => setTimeout(r, 1500)); // more passes fail the same way
    if (proc.exitCode !== null) throw new Error(`the agent exited with ${proc.exitCode}:\n${output.slice(-2000)}`);
    // Not on a terminal: one JSON object a line, for a log collector.
    const logged = output
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(logged.find((l) => /items: pass failed/.test(l.msg))).toMatchObject({ level: 30, name: 'rowferry-agent' });
    await admin.query(`GRANT INSERT ON ${tables} TO rowferry_tenant`);

    // 2. Uploads hang on a lock, then Redis loses everything while they are in flight.
    await admin.query('BEGIN');
    await admin.query(`LOCK TABLE ${tables} IN ACCESS EXCLUSIVE MODE`);
    const lockWaiters = async () => {
      const c = new pg.Client({ connectionString: stack.databaseUrl });
      await c.connect();
      const { rows } = await c.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`,
      );
      await c.end();
      return rows[0].n as number;
    };
    await until('uploads blocked on the lock', async () => (await lockWaiters()) > 0);
    const r = new Redis(redis.port, '127.0.0.1');
    await r.flushall();
    r.disconnect();
    await new Promise((r) => setTimeout(r, 500));
    await admin.query('ROLLBACK');

    // 3. The same process carries on and the copy converges, every column of every row.
    const differences = async () =>
      (
        await Promise.all(
          SAMPLE_TABLES.map((t) => compareTable(dbPath, stack.databaseUrl, creds.databaseId, t.name, t.key)),
        )
      ).flat();
    await until('convergence', async () => proc.exitCode !== null || (await differences()).length === 0, 90_000);
    if (proc.exitCode !== null) throw new Error(`the agent exited with ${proc.exitCode}:\n${output.slice(-2000)}`);
    expect(await differences()).toEqual([]);
    expect(output).not.toMatch(/unhandled|UnhandledPromiseRejection/i);

    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
