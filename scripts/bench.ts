import Database from 'better-sqlite3';
import { Command } from 'commander';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { SyncAgent } from '../apps/agent/src/agent.js';
import { loadAgentConfig } from '../apps/agent/src/config.js';
import { fairness } from './bench/fairness.js';
import { ensureServices } from './lib/services.js';
import { enrollDatabase, startStack } from './lib/stack.js';

/**
 * `npm run bench -- initial-load --rows N`: the full pipeline (SQLite agent → API → Redis → workers → PostgreSQL)
 * against a raw COPY of the same rows into the same PostgreSQL, in one run, so the ratio survives a noisy machine.
 */
const program = new Command('bench');
program
  .command('initial-load')
  .option('--rows <n>', 'rows in the table', (v) => Number(v), 1_000_000)
  .option('--workers <n>', 'worker processes', (v) => Number(v), 2)
  .option('--batch-rows <n>', "upper bound on rows per upload batch (the API's tuning picks the size)", (v) => Number(v), 20_000)
  .option('--in-flight <n>', 'upload batches in flight', (v) => Number(v), 6)
  .action(async (o) => {
    const services = await ensureServices();
    Object.assign(process.env, services.env);
    const dir = mkdtempSync(join(tmpdir(), 'rowferry-bench-'));
    const dbPath = join(dir, 'bench.db');
    makeTable(dbPath, o.rows);
    const stack = await startStack('bench', o.workers);
    try {
      const creds = await enrollDatabase(stack, 'bench');
      writeFileSync(join(dir, 'creds.json'), JSON.stringify(creds));
      const configPath = join(dir, 'agent.json');
      writeFileSync(
        configPath,
        JSON.stringify({ api: { url: stack.apiUrl, credentialsFile: 'creds.json' }, source: { type: 'sqlite', path: 'bench.db' }, tables: [{ name: 'bench_rows' }], batchRows: o.batchRows, maxInFlight: o.inFlight, sliceRows: 1 }),
      );
      const agent = new SyncAgent(loadAgentConfig(configPath), () => undefined);
      await agent.source.installTracking(['bench_rows']);
      await agent.registerTables();

      const cpuBefore = cpuByPart(stack.pids);
      const t0 = performance.now();
      const report = await agent.cycle(); // ahead: every row uploaded and applied before it returns
      const pipelineSeconds = (performance.now() - t0) / 1000;
      const cpuAfter = cpuByPart(stack.pids);
      await agent.close();
      const failed = report.tables.find((t) => 'error' in t);
      if (failed) throw new Error(`pipeline failed: ${JSON.stringify(failed)}`);
      const remote = await count(stack.databaseUrl, creds.databaseId);
      if (remote !== o.rows) throw new Error(`pipeline applied ${remote} of ${o.rows} rows`);
      const rss = stack.pids.map(peakRssMb);

      const copySeconds = await rawCopy(dbPath, stack.databaseUrl);
      const result = {
        scenario: 'initial-load',
        rows: o.rows,
        workers: o.workers,
        pipeline_seconds: round(pipelineSeconds),
        copy_seconds: round(copySeconds),
        pipeline_rows_per_s: Math.round(o.rows / pipelineSeconds),
        copy_rows_per_s: Math.round(o.rows / copySeconds),
        ratio: round(copySeconds / pipelineSeconds),
        cpu_seconds: Object.fromEntries(Object.entries(cpuAfter).map(([k, v]) => [k, round(v - cpuBefore[k])])),
        peak_rss_mb: { agent: Math.round(process.resourceUsage().maxRSS / 1024), api: rss[0], workers: rss.slice(1) },
      };
      console.log(`RESULT ${JSON.stringify(result)}`);
    } finally {
      await stack.stop();
      await services.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

program
  .command('fairness')
  .description("one customer's flood beside small tenants: their latency and the flood's throughput, each against running alone")
  .option('--flood-databases <n>', "the flooding customer's databases, each with its own agent", (v) => Number(v), 3)
  .option('--flood-rows <n>', 'rows of each flooding database', (v) => Number(v), 200_000)
  .option('--flood-in-flight <n>', "each flooding agent's maxInFlight (above the share, so the cap engages)", (v) => Number(v), 48)
  .option('--share <n>', "the API's TENANT_MAX_JOBS: jobs in flight a database may have", (v) => Number(v), 16)
  .option('--small <n>', 'small tenants, each changing 5 rows every 2 s', (v) => Number(v), 3)
  .option('--seconds <n>', 'how long the small tenants are measured idle', (v) => Number(v), 30)
  .option('--workers <n>', 'worker processes', (v) => Number(v), 2)
  .action(async (o) => {
    const services = await ensureServices();
    Object.assign(process.env, services.env);
    const stack = await startStack('fairness', o.workers, { env: { TENANT_MAX_JOBS: String(o.share) } });
    try {
      console.log(`RESULT ${JSON.stringify(await fairness(stack, o))}`);
    } finally {
      await stack.stop();
      await services.stop();
    }
  });

program
  .command('slow-database')
  .description('shows batch-size tuning: wide rows, a database that becomes slow, then recovers')
  .option('--rounds <n>', 'rounds of new rows', (v) => Number(v), 9)
  .option('--rows-per-round <n>', 'new rows each round', (v) => Number(v), 30_000)
  .action(async (o) => {
    const services = await ensureServices();
    Object.assign(process.env, services.env);
    const dir = mkdtempSync(join(tmpdir(), 'rowferry-tuning-'));
    const targetMs = 500;
    const stack = await startStack('tuning', 2, { env: { TUNING_TARGET_MS: String(targetMs), TUNING_INITIAL_ROWS: '1000', TUNING_MAX_ROWS: '20000', TUNING_MAX_BYTES: String(8 * 1024 * 1024) } });
    const admin = new pg.Client({ connectionString: stack.databaseUrl });
    try {
      const dbPath = join(dir, 'wide.db');
      const local = new Database(dbPath);
      local.exec('CREATE TABLE wide (id INTEGER PRIMARY KEY, payload TEXT, note TEXT)');
      const creds = await enrollDatabase(stack, 'tuning');
      writeFileSync(join(dir, 'creds.json'), JSON.stringify(creds));
      writeFileSync(join(dir, 'agent.json'), JSON.stringify({ api: { url: stack.apiUrl, credentialsFile: 'creds.json' }, source: { type: 'sqlite', path: 'wide.db' }, tables: [{ name: 'wide' }], maxInFlight: 1, sliceRows: 1_000_000 }));
      const agent = new SyncAgent(loadAgentConfig(join(dir, 'agent.json')), () => undefined);
      await agent.source.installTracking(['wide']);
      await agent.registerTables();
      await admin.connect();
      await admin.query(`CREATE FUNCTION slow_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.0002); RETURN NEW; END $$`);
      console.log(`target ${targetMs} ms a batch; rows of ~1 KiB; one batch in flight so each size answers the one before`);
      console.log('round | database | batch sizes (rows) | batch durations (ms) | last recommendation');
      let id = 0;
      const insert = local.prepare('INSERT INTO wide (id, payload, note) VALUES (?, ?, ?)');
      for (let round = 1; round <= o.rounds; round++) {
        const slow = round > o.rounds / 3 && round <= (2 * o.rounds) / 3;
        await admin.query(slow ? `CREATE OR REPLACE TRIGGER slow BEFORE INSERT OR UPDATE ON rowferry_data.wide FOR EACH ROW EXECUTE FUNCTION slow_row()` : `DROP TRIGGER IF EXISTS slow ON rowferry_data.wide`);
        local.transaction(() => {
          for (let i = 0; i < o.rowsPerRound; i++) (id++, insert.run(id, 'x'.repeat(1000) + id, `round ${round}`));
        })();
        const before = await lastBatchId(admin);
        await agent.cycle();
        const { rows } = await admin.query(`SELECT rows, duration_ms FROM batch_history WHERE id > $1 AND job_type = 'upload' ORDER BY id`, [before]);
        const tuning = await agent.api.tuning('wide');
        console.log(`${round} | ${slow ? 'slow (0.2 ms a row)' : 'normal'} | ${abridge(rows.map((r) => r.rows))} | ${abridge(rows.map((r) => r.duration_ms))} | ${tuning.rows}: ${tuning.reason}`);
      }
      await agent.close();
      local.close();
    } finally {
      await admin.end().catch(() => undefined);
      await stack.stop();
      await services.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

program
  .command('anti-entropy')
  .description('the difference check on a large table: verify an equal table, then find scattered differences')
  .option('--rows <n>', 'rows in the table', (v) => Number(v), 1_000_000)
  .option('--slice-rows <n>', "rows the check verifies per pass (the agent's budget)", (v) => Number(v), 500_000)
  .action(async (o) => {
    const services = await ensureServices();
    Object.assign(process.env, services.env);
    const dir = mkdtempSync(join(tmpdir(), 'rowferry-ae-'));
    const dbPath = join(dir, 'bench.db');
    makeTable(dbPath, o.rows);
    const stack = await startStack('antientropy', 2);
    const admin = new pg.Client({ connectionString: stack.databaseUrl });
    try {
      const creds = await enrollDatabase(stack, 'ae');
      writeFileSync(join(dir, 'creds.json'), JSON.stringify(creds));
      writeFileSync(join(dir, 'agent.json'), JSON.stringify({ api: { url: stack.apiUrl, credentialsFile: 'creds.json' }, source: { type: 'sqlite', path: 'bench.db' }, tables: [{ name: 'bench_rows' }], sliceRows: o.sliceRows }));
      const agent = new SyncAgent(loadAgentConfig(join(dir, 'agent.json')), () => undefined);
      await agent.source.installTracking(['bench_rows']);
      await admin.connect();
      const remoteCount = async () => (await admin.query('SELECT count(*)::int AS n FROM rowferry_data.bench_rows WHERE _rf_database = $1', [creds.databaseId])).rows[0].n as number;
      const local = new Database(dbPath);
      const localCount = () => Number(local.prepare('SELECT count(*) FROM bench_rows').pluck().get());
      /** Passes until a full round of the check has run; returns the passes and their wall time. */
      const fullRound = async () => {
        const t0 = performance.now();
        let passes = 0;
        for (;;) {
          const r = (await agent.cycle()).tables[0];
          passes++;
          if ('error' in r) throw new Error(r.error);
          if (r.position === 0n && r.steps.at(-1) === 'equal') break;
        }
        return { passes, seconds: (performance.now() - t0) / 1000 };
      };
      const passesUntil = async (done: () => Promise<boolean>, max: number) => {
        for (let n = 1; n <= max; n++) {
          await agent.cycle();
          if (await done()) return n;
        }
        return -1;
      };

      await fullRound(); // initial load and a first round
      await fullRound();

      // 1. Verify an equal table, against plainly reading every (key, version) pair from both sides.
      const before = { ...agent.api.traffic };
      const verify = await fullRound();
      const bytes = agent.api.traffic.sent - before.sent + agent.api.traffic.received - before.received;
      const t0 = performance.now();
      local.prepare('SELECT id, _rowferry_version FROM bench_rows').raw().all();
      await admin.query({ text: 'SELECT id, _rf_version FROM rowferry_data.bench_rows WHERE _rf_database = $1', values: [creds.databaseId], rowMode: 'array' });
      const readSeconds = (performance.now() - t0) / 1000;

      // 2. One row deleted locally at a random place.
      const pick = () => 1 + Math.floor(Math.random() * o.rows);
      const one = pick();
      local.prepare('DELETE FROM bench_rows WHERE id = ?').run(one);
      const gone = async () => (await admin.query('SELECT 1 FROM rowferry_data.bench_rows WHERE _rf_database = $1 AND id = $2', [creds.databaseId, one])).rowCount === 0;
      const onePasses = await passesUntil(gone, 10);

      // 3. 100 scattered local deletes and 100 scattered rows missing remotely.
      const deleted = new Set<number>();
      while (deleted.size < 100) deleted.add(pick());
      deleted.delete(one);
      for (const id of deleted) local.prepare('DELETE FROM bench_rows WHERE id = ?').run(id);
      const missing: number[] = [];
      while (missing.length < 100) {
        const id = pick();
        if (!deleted.has(id) && id !== one) missing.push(id);
      }
      await admin.query('DELETE FROM rowferry_data.bench_rows WHERE _rf_database = $1 AND id = ANY($2::bigint[])', [creds.databaseId, missing]);
      const repaired = async () => {
        const { rows } = await admin.query('SELECT count(*)::int AS n FROM rowferry_data.bench_rows WHERE _rf_database = $1 AND (id = ANY($2::bigint[]) OR id = ANY($3::bigint[]))', [
          creds.databaseId,
          [...deleted],
          missing,
        ]);
        return rows[0].n === missing.length && (await remoteCount()) === localCount();
      };
      const scatteredPasses = await passesUntil(repaired, 10);
      await agent.close();
      local.close();
      console.log(
        `RESULT ${JSON.stringify({
          scenario: 'anti-entropy',
          rows: o.rows,
          slice_rows: o.sliceRows,
          verify_seconds: round(verify.seconds),
          verify_passes: verify.passes,
          read_all_pairs_seconds: round(readSeconds),
          verify_vs_read: round(verify.seconds / readSeconds),
          verify_bytes: bytes,
          one_delete_passes: onePasses,
          scattered_200_passes: scatteredPasses,
        })}`,
      );
    } finally {
      await admin.end().catch(() => undefined);
      await stack.stop();
      await services.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

/** A long list as its first and last few entries. */
function abridge(values: number[]): string {
  if (values.length <= 10) return values.join(' ');
  return `${values.slice(0, 6).join(' ')} … ${values.slice(-2).join(' ')} (${values.length} batches)`;
}

async function lastBatchId(db: pg.Client): Promise<number> {
  const { rows } = await db.query(`SELECT coalesce(max(id), 0)::int AS id FROM batch_history`);
  return rows[0].id;
}

/** Rows of a typical business table: integer key, text, integer, float, a nullable note. */
function makeTable(path: string, rows: number): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE bench_rows (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER, price REAL, note TEXT)');
  const insert = db.prepare('INSERT INTO bench_rows VALUES (?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= rows; i++) insert.run(i, `customer name ${i}`, i % 1000, i / 100, i % 3 ? null : `note ${i}`);
  })();
  db.close();
}

/** COPY of the same rows, read from the same SQLite file, into a table of the same shape and key. */
async function rawCopy(sqlitePath: string, url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('CREATE TABLE bench_copy (tenant uuid NOT NULL, id bigint NOT NULL, name text, qty bigint, price double precision, note text, version bigint NOT NULL, PRIMARY KEY (tenant, id))');
  const db = new Database(sqlitePath, { readonly: true });
  const t0 = performance.now();
  const rows = db.prepare('SELECT id, name, qty, price, note, _rowferry_version FROM bench_rows').raw().iterate() as Iterable<unknown[]>;
  const tenant = '00000000-0000-4000-8000-000000000000';
  const lines = (function* () {
    let chunk = '';
    for (const r of rows) {
      chunk += `${tenant}\t${r.map((v) => (v === null ? '\\N' : String(v))).join('\t')}\n`;
      if (chunk.length > 1 << 16) (yield chunk, (chunk = ''));
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
  const { rows } = await client.query('SELECT count(*)::int AS n FROM rowferry_data.bench_rows WHERE _rf_database = $1', [databaseId]);
  await client.end();
  return rows[0].n;
}

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : -1;
}

/** CPU seconds so far of each part of the pipeline, to see where the time goes on a shared machine. */
function cpuByPart(pids: number[]): Record<string, number> {
  const ticks = (pid: number) => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
    } catch {
      return 0; // the process ended between listing and reading
    }
  };
  const byName = (name: string) =>
    readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return readFileSync(`/proc/${d}/comm`, 'utf8').trim() === name;
        } catch {
          return false;
        }
      })
      .reduce((sum, d) => sum + ticks(Number(d)), 0);
  const self = process.cpuUsage();
  return {
    agent: (self.user + self.system) / 1e6,
    api: ticks(pids[0]),
    workers: pids.slice(1).reduce((sum, p) => sum + ticks(p), 0),
    postgres: byName('postgres'),
    redis: byName('redis-server'),
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

program.parseAsync().catch((err) => {
  console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
