import { Command } from 'commander';
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { scratchDatabase } from '../lib/databases.js';
import { Redis } from 'ioredis';
import { redisConnection } from '#queues';
import { startCitusCluster } from '../lib/citus.js';
import { enrollDatabase, startStack } from '../lib/stack.js';
import { writeAgentConfig } from '../lib/agent-config.js';
import { agentProcess, cpuSeconds, cpuSecondsOf, makeTable, round, withServices } from './support.js';

/**
 * `npm run bench -- initial-load --rows N`: the full pipeline (SQLite agent → API → Redis → workers → PostgreSQL)
 * against a raw COPY of the same rows into the same PostgreSQL, in one run, so the ratio survives a noisy machine.
 */
const run = promisify(execFile);

export const initialLoad = new Command('initial-load')
  .description('the initial load of a table through the whole pipeline, against a raw COPY of the same rows')
  .option('--rows <n>', 'rows in the table', (v) => Number(v), 1_000_000)
  .option('--workers <n>', 'worker processes', (v) => Number(v), 2)
  .option(
    '--batch-rows <n>',
    "upper bound on rows per upload batch (the API's tuning picks the size)",
    (v) => Number(v),
    20_000,
  )
  .option('--in-flight <n>', 'upload batches in flight', (v) => Number(v), 6)
  .option('--source <engine>', 'source engine: sqlite or postgres', 'sqlite')
  .option('--citus', 'into a private 3-node Citus cluster (data tables distributed); COPY into its coordinator')
  .action((o) =>
    withServices(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rowferry-bench-'));
      const dbPath = join(dir, 'bench.db');
      const pgSource = o.source === 'postgres' ? await postgresTable(o.rows) : undefined;
      if (!pgSource) makeTable(dbPath, o.rows);
      const citus = o.citus ? await startCitusCluster('bench') : undefined;
      const stack = await startStack('bench', o.workers, citus ? { database: citus.url } : {});
      try {
        const creds = await enrollDatabase(stack, 'bench');
        // The agent in its own process, as on a customer's machine: its CPU and memory are its own, not this
        // process's (which wrote the source's rows and samples the others).
        const agent = await agentProcess(
          writeAgentConfig(stack.apiUrl, dir, creds, {
            source: pgSource ? { type: 'postgres', url: pgSource.url } : { type: 'sqlite', path: 'bench.db' },
            tables: [{ name: 'bench_rows' }],
            batchRows: o.batchRows,
            maxInFlight: o.inFlight,
            sliceRows: 1,
          }),
        );
        const pids = { agent: agent.pid, api: stack.pids[0], workers: stack.pids.slice(1) };

        const cpuBefore = cpuByPart(pids);
        const memory = new MemorySampler(pids);
        const t0 = performance.now();
        const { failed } = await agent.pass(); // ahead: every row uploaded and applied before it returns
        const pipelineSeconds = (performance.now() - t0) / 1000;
        const cpuAfter = cpuByPart(pids);
        const peaks = await memory.stop();
        if (failed) throw new Error(`pipeline failed: ${JSON.stringify(failed)}`);
        const remote = await count(stack.databaseUrl, creds.databaseId);
        if (remote !== o.rows) throw new Error(`pipeline applied ${remote} of ${o.rows} rows`);

        const copySeconds = pgSource
          ? await copyBetween(pgSource.url, stack.databaseUrl)
          : await rawCopy(dbPath, stack.databaseUrl);
        const pgloaderSeconds = pgSource ? await pgloader(pgSource.url) : undefined;
        const result = {
          scenario: 'initial-load',
          source: o.source,
          target: citus ? 'citus (coordinator and 2 workers)' : 'postgresql',
          rows: o.rows,
          workers: o.workers,
          pipeline_seconds: round(pipelineSeconds),
          copy_seconds: round(copySeconds),
          pipeline_rows_per_s: Math.round(o.rows / pipelineSeconds),
          copy_rows_per_s: Math.round(o.rows / copySeconds),
          ratio: round(copySeconds / pipelineSeconds),
          cpu_seconds: Object.fromEntries(Object.entries(cpuAfter).map(([k, v]) => [k, round(v - cpuBefore[k])])),
          memory_mb: peaks,
          ...(pgSource
            ? {
                pgloader_seconds: pgloaderSeconds ? round(pgloaderSeconds) : 'not installed',
                vs_pgloader: pgloaderSeconds ? round(pgloaderSeconds / pipelineSeconds) : null,
              }
            : {}),
        };
        console.log(`RESULT ${JSON.stringify(result)}`);
      } finally {
        await stack.stop();
        await citus?.stop();
        await pgSource?.drop();
        rmSync(dir, { recursive: true, force: true });
      }
    }),
  );

/** The same rows as makeTable's, in a PostgreSQL source database of their own. */
async function postgresTable(rows: number) {
  const db = await scratchDatabase('postgres', 'bench_load');
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  await c.query(`CREATE TABLE bench_rows (id bigint PRIMARY KEY, name text NOT NULL, qty bigint, price double precision, note text);
    INSERT INTO bench_rows SELECT i, 'customer name ' || i, i % 1000, i / 100.0, CASE WHEN i % 3 <> 0 THEN NULL ELSE 'note ' || i END
      FROM generate_series(1, ${rows}) i`);
  await c.end();
  return db;
}

/** COPY out of the source table straight into a table of the same shape and key on the remote PostgreSQL. */
async function copyBetween(sourceUrl: string, url: string): Promise<number> {
  const source = new pg.Client({ connectionString: sourceUrl });
  const target = new pg.Client({ connectionString: url });
  await source.connect();
  await target.connect();
  await target.query(
    'CREATE TABLE bench_copy (id bigint PRIMARY KEY, name text, qty bigint, price double precision, note text, version bigint NOT NULL)',
  );
  const t0 = performance.now();
  await pipeline(
    source.query(copyTo('COPY (SELECT id, name, qty, price, note, _rowferry_version FROM bench_rows) TO STDOUT')),
    target.query(copyFrom('COPY bench_copy FROM STDIN')),
  );
  const seconds = (performance.now() - t0) / 1000;
  await source.end();
  await target.end();
  return seconds;
}

/** Seconds Debian's pgloader takes to copy the source table into a fresh database, or undefined when not installed. */
async function pgloader(sourceUrl: string): Promise<number | undefined> {
  try {
    await run('pgloader', ['--version']);
  } catch {
    return undefined;
  }
  const target = await scratchDatabase('postgres', 'bench_pgloader');
  try {
    const t0 = performance.now();
    await run('pgloader', ['--quiet', sourceUrl, target.url], { maxBuffer: 64 << 20 });
    return (performance.now() - t0) / 1000;
  } finally {
    await target.drop();
  }
}

/** COPY of the same rows, read from the same SQLite file, into a table of the same shape and key. */
async function rawCopy(sqlitePath: string, url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(
    'CREATE TABLE bench_copy (tenant uuid NOT NULL, id bigint NOT NULL, name text, qty bigint, price double precision, note text, version bigint NOT NULL, PRIMARY KEY (tenant, id))',
  );
  const db = new Database(sqlitePath, { readonly: true });
  const t0 = performance.now();
  const rows = db
    .prepare('SELECT id, name, qty, price, note, _rowferry_version FROM bench_rows')
    .raw()
    .iterate() as Iterable<unknown[]>;
  const tenant = '00000000-0000-4000-8000-000000000000';
  const lines = (function* () {
    let chunk = '';
    for (const r of rows) {
      chunk += `${tenant}\t${r.map((v) => (v === null ? '\\N' : String(v))).join('\t')}\n`;
      if (chunk.length > 1 << 16) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  })();
  await pipeline(Readable.from(lines), client.query(copyFrom('COPY bench_copy FROM STDIN')));
  const seconds = (performance.now() - t0) / 1000;
  db.close();
  await client.end();
  return seconds;
}

async function count(url: string, databaseId: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query(
    'SELECT count(*)::int AS n FROM rowferry_data.bench_rows WHERE _rf_database = $1',
    [databaseId],
  );
  await client.end();
  return rows[0].n;
}

/** The pipeline's processes. */
interface Pids {
  agent: number;
  api: number;
  workers: number[];
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/**
 * Resident memory of each part while the load runs (every 250 ms): the peak of the load's first and second half
 * apart, so that memory growing with the rows shows (flat: the two are alike), and Redis's used memory.
 */
class MemorySampler {
  private readonly samples: { agent: number; api: number; workers: number[]; redis: number }[] = [];
  private readonly redis = new Redis(redisConnection());
  private readonly timer: NodeJS.Timeout;
  private sampling: Promise<void> = Promise.resolve();

  constructor(private readonly pids: Pids) {
    this.timer = setInterval(() => (this.sampling = this.sample()), 250);
  }

  private async sample(): Promise<void> {
    const used = /used_memory:(\d+)/.exec(await this.redis.info('memory'));
    this.samples.push({
      agent: rssMb(this.pids.agent),
      api: rssMb(this.pids.api),
      workers: this.pids.workers.map(rssMb),
      redis: used ? Number(used[1]) / 2 ** 20 : 0,
    });
  }

  async stop() {
    clearInterval(this.timer);
    await this.sampling;
    await this.redis.quit();
    const half = Math.ceil(this.samples.length / 2);
    const peak = (from: number, to: number) => {
      const part = this.samples.slice(from, to);
      const max = (f: (s: (typeof part)[0]) => number) => Math.round(Math.max(0, ...part.map(f)));
      return {
        agent: max((s) => s.agent),
        api: max((s) => s.api),
        workers: this.pids.workers.map((_, w) => max((s) => s.workers[w])),
        redis: max((s) => s.redis),
      };
    };
    return { first_half_peak: peak(0, half), second_half_peak: peak(half, this.samples.length) };
  }
}

/** CPU seconds so far of each part of the pipeline, to see where the time goes on a shared machine. */
function cpuByPart(pids: Pids): Record<string, number> {
  return {
    agent: cpuSeconds(pids.agent),
    api: cpuSeconds(pids.api),
    workers: pids.workers.reduce((sum, p) => sum + cpuSeconds(p), 0),
    postgres: cpuSecondsOf('postgres'),
    redis: cpuSecondsOf('redis-server'),
  };
}
