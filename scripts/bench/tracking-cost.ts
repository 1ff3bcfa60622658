import Database from 'better-sqlite3';
import { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { openSource } from '../../apps/agent/src/sources/open-source.js';
import type { AgentConfig } from '../../apps/agent/src/config.js';
import { scratchDatabase } from '../lib/databases.js';
import { round, withServices } from './support.js';

const MODES = ['untracked', 'column', 'side'] as const;
const CREATE = (t: string) => `CREATE TABLE ${t} (id BIGINT PRIMARY KEY, name TEXT NOT NULL, qty INT, note TEXT)`;

/** One engine's database: run statements (`?` parameters) in transactions, and drop it at the end. */
interface Engine {
  config: AgentConfig['source'];
  transaction(statements: [string, unknown[]][]): Promise<void>;
  exec(sql: string): Promise<void>;
  drop(): Promise<void>;
}

async function sqlite(dir: string): Promise<Engine> {
  const db = new Database(join(dir, 'cost.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  return {
    config: { type: 'sqlite', path: join(dir, 'cost.db') },
    transaction: async (statements) =>
      db.transaction(() => {
        for (const [sql, params] of statements) db.prepare(sql).run(...params);
      })(),
    exec: async (sql) => void db.exec(sql),
    drop: async () => void db.close(),
  };
}

async function postgres(): Promise<Engine> {
  const { url, drop } = await scratchDatabase('postgres', 'bench_cost');
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const numbered = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  return {
    config: { type: 'postgres', url, schema: 'public' },
    transaction: async (statements) => {
      await c.query('BEGIN');
      for (const [sql, params] of statements) await c.query(numbered(sql), params);
      await c.query('COMMIT');
    },
    exec: async (sql) => void (await c.query(sql)),
    drop: async () => {
      await c.end();
      await drop();
    },
  };
}

async function mariadb(): Promise<Engine> {
  const { url, drop } = await scratchDatabase('mariadb', 'bench_cost');
  const c = await mysql.createConnection(url);
  return {
    config: { type: 'mariadb', url },
    transaction: async (statements) => {
      await c.beginTransaction();
      for (const [sql, params] of statements) await c.query(sql, params);
      await c.commit();
    },
    exec: async (sql) => void (await c.query(sql)),
    drop: async () => {
      await c.end();
      await drop();
    },
  };
}

/**
 * `npm run bench -- tracking-cost`: what tracking costs the application's own writes. The same workload (inserts,
 * updates by key, deletes; single-row statements, 100 to a transaction) on an untracked table, one tracked with a
 * version column, and one tracked with a side table, on each engine, in the same run.
 */
export const trackingCost = new Command('tracking-cost')
  .description("what tracking (version column or side table) costs the application's writes, per engine")
  .option('--rows <n>', 'rows inserted, then updated; half as many deleted', (v) => Number(v), 20_000)
  .option('--engines <list>', 'engines to run', 'sqlite,postgres,mariadb')
  .action((o) =>
    withServices(async () => {
      for (const name of String(o.engines).split(',')) {
        const dir = mkdtempSync(join(tmpdir(), 'rowferry-bench-cost-'));
        const engine = name === 'sqlite' ? await sqlite(dir) : name === 'postgres' ? await postgres() : await mariadb();
        try {
          const seconds: Record<string, Record<string, number>> = {};
          for (const mode of MODES) {
            await engine.exec(CREATE(`cost_${mode}`));
            if (mode !== 'untracked') {
              const source = openSource(engine.config);
              await source.installTracking([{ name: `cost_${mode}`, sideTable: mode === 'side' }]);
              await source.close();
            }
          }
          for (const mode of MODES) seconds[mode] = await workload(engine, `cost_${mode}`, o.rows);
          const ratio = (mode: string) =>
            Object.fromEntries(Object.entries(seconds[mode]).map(([k, v]) => [k, round(v / seconds.untracked[k])]));
          console.log(
            `RESULT ${JSON.stringify({ scenario: 'tracking-cost', engine: name, rows: o.rows, seconds, column_vs_untracked: ratio('column'), side_vs_untracked: ratio('side') })}`,
          );
        } finally {
          await engine.drop();
          rmSync(dir, { recursive: true, force: true });
        }
      }
    }),
  );

async function workload(engine: Engine, table: string, rows: number): Promise<Record<string, number>> {
  const timed = async (make: (i: number) => [string, unknown[]], n: number) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i += 100)
      await engine.transaction(Array.from({ length: Math.min(100, n - i) }, (_, k) => make(i + k)));
    return round((performance.now() - t0) / 1000);
  };
  return {
    insert: await timed(
      (i) => [`INSERT INTO ${table} (id, name, qty, note) VALUES (?, ?, ?, ?)`, [i, `n${i}`, i, null]],
      rows,
    ),
    update: await timed((i) => [`UPDATE ${table} SET qty = qty + 1, note = ? WHERE id = ?`, [`u${i}`, i]], rows),
    delete: await timed((i) => [`DELETE FROM ${table} WHERE id = ?`, [i * 2]], rows / 2),
  };
}
