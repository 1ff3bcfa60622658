import Database from 'better-sqlite3';
import { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { configuredAgent } from '../lib/agent-config.js';
import { scratchDatabase } from '../lib/databases.js';
import { enrollDatabase, startStack, type Stack } from '../lib/stack.js';
import { makeTable, round, withServices } from './support.js';

/** A source table of `rows` rows on one engine, written to as its application would. */
interface BenchSource {
  config: Record<string, unknown>;
  exec(sql: string, params?: unknown[]): Promise<void>;
  count(): Promise<number>;
  drop(): Promise<void>;
}

async function sqliteSource(dir: string, rows: number): Promise<BenchSource> {
  const path = join(dir, 'bench.db');
  makeTable(path, rows);
  const db = new Database(path);
  return {
    config: { type: 'sqlite', path: 'bench.db' },
    exec: async (sql, params = []) => void db.prepare(sql).run(...params),
    count: async () => Number(db.prepare('SELECT count(*) FROM bench_rows').pluck().get()),
    drop: async () => void db.close(),
  };
}

async function postgresSource(rows: number): Promise<BenchSource> {
  const { url, drop } = await scratchDatabase('postgres', 'bench_del');
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(`CREATE TABLE bench_rows (id bigint PRIMARY KEY, name text NOT NULL, qty int, price double precision, note text);
    INSERT INTO bench_rows SELECT i, 'customer name ' || i, i % 1000, i / 100.0, CASE WHEN i % 3 = 0 THEN 'note ' || i END
      FROM generate_series(1, ${rows}) i`);
  return {
    config: { type: 'postgres', url },
    exec: async (sql, params = []) => {
      let n = 0;
      await c.query(
        sql.replace(/\?/g, () => `$${++n}`),
        params,
      );
    },
    count: async () => Number((await c.query('SELECT count(*) AS n FROM bench_rows')).rows[0].n),
    drop: async () => {
      await c.end();
      await drop();
    },
  };
}

async function mariadbSource(rows: number): Promise<BenchSource> {
  const { url, drop } = await scratchDatabase('mariadb', 'bench_del');
  const c = await mysql.createConnection(url);
  await c.query(`CREATE TABLE bench_rows (id BIGINT PRIMARY KEY, name TEXT NOT NULL, qty INT, price DOUBLE, note TEXT)
    ENGINE=InnoDB`);
  await c.query(`INSERT INTO bench_rows SELECT seq, CONCAT('customer name ', seq), seq % 1000, seq / 100,
    IF(seq % 3 = 0, CONCAT('note ', seq), NULL) FROM seq_1_to_${rows}`);
  return {
    config: { type: 'mariadb', url },
    exec: async (sql, params = []) => void (await c.query(sql, params)),
    count: async () => {
      const [result] = await c.query(`SELECT count(*) AS n FROM bench_rows`);
      return Number((result as { n: number }[])[0].n);
    },
    drop: async () => {
      await c.end();
      await drop();
    },
  };
}

const SOURCES: Record<string, (dir: string, rows: number) => Promise<BenchSource>> = {
  sqlite: sqliteSource,
  postgres: (_, rows) => postgresSource(rows),
  mariadb: (_, rows) => mariadbSource(rows),
};

/**
 * `npm run bench -- deletes`: scattered local deletes captured by the delete log reach the remote in one pass, on
 * each engine; a key deleted and inserted again between passes keeps its new row. The difference check is held to a
 * small slice, so it is not what finds them.
 */
export const deletes = new Command('deletes')
  .description('scattered local deletes: gone remotely after one pass, on every engine')
  .option('--rows <n>', 'rows in the table', (v) => Number(v), 1_000_000)
  .option('--deletes <n>', 'scattered rows deleted', (v) => Number(v), 1000)
  .option('--engines <list>', 'engines to run', 'sqlite,postgres,mariadb')
  .action((o) =>
    withServices(async () => {
      const stack = await startStack('deletes', 2);
      try {
        for (const engine of String(o.engines).split(',')) await deletesOn(stack, engine, o.rows, o.deletes);
      } finally {
        await stack.stop();
      }
    }),
  );

async function deletesOn(stack: Stack, engine: string, rows: number, deletes: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `rowferry-bench-del-${engine}-`));
  const source = await SOURCES[engine](dir, rows);
  const remote = new pg.Client({ connectionString: stack.databaseUrl });
  await remote.connect();
  const creds = await enrollDatabase(stack, `deletes-${engine}`);
  const agent = configuredAgent(stack, dir, creds, {
    source: source.config,
    tables: [{ name: 'bench_rows' }],
    sliceRows: 1000,
  });
  try {
    const t0 = performance.now();
    await agent.source.installTracking([{ name: 'bench_rows' }]);
    const trackSeconds = (performance.now() - t0) / 1000;
    const pass = async () => {
      const started = performance.now();
      const r = (await agent.cycle()).tables[0];
      if ('error' in r) throw new Error(r.error);
      return { report: r, seconds: (performance.now() - started) / 1000 };
    };
    const load = performance.now();
    while ((await pass()).report.steps.at(-1) !== 'equal');
    const loadSeconds = (performance.now() - load) / 1000;
    const remoteCount = async (ids?: number[]) =>
      Number(
        (
          await remote.query(
            `SELECT count(*) AS n FROM rowferry_data.bench_rows WHERE _rf_database = $1 ${ids ? 'AND id = ANY($2::bigint[])' : ''}`,
            ids ? [creds.databaseId, ids] : [creds.databaseId],
          )
        ).rows[0].n,
      );

    // 1. Scattered deletes, one statement each as an application would make them.
    const gone = new Set<number>();
    while (gone.size < deletes) gone.add(1 + Math.floor(Math.random() * rows));
    for (const id of gone) await source.exec('DELETE FROM bench_rows WHERE id = ?', [id]);
    const one = await pass();
    const left = await remoteCount([...gone]);

    // 2. Deleted and inserted again between passes: the new row stays.
    const again = [...gone].slice(0, 100);
    for (const id of again) {
      await source.exec('DELETE FROM bench_rows WHERE id = ?', [id + 1 > rows ? id - 1 : id + 1]);
      await source.exec('INSERT INTO bench_rows (id, name) VALUES (?, ?)', [id, 'inserted again']);
    }
    await pass();
    const back = Number(
      (
        await remote.query(
          `SELECT count(*) AS n FROM rowferry_data.bench_rows WHERE _rf_database = $1 AND id = ANY($2::bigint[]) AND name = 'inserted again'`,
          [creds.databaseId, again],
        )
      ).rows[0].n,
    );
    const equalCounts = (await remoteCount()) === (await source.count());
    console.log(
      `RESULT ${JSON.stringify({
        scenario: 'deletes',
        engine,
        rows,
        track_seconds: round(trackSeconds),
        initial_load_seconds: round(loadSeconds),
        deleted_locally: gone.size,
        deleted_by_the_pass: one.report.deleted,
        left_remotely_after_one_pass: left,
        one_pass_seconds: round(one.seconds),
        reinserted_kept: `${back}/${again.length}`,
        counts_equal: equalCounts,
      })}`,
    );
  } finally {
    await agent.close();
    await remote.end();
    await source.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}
