import { Command } from 'commander';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { enrollDatabase, startStack } from '../lib/stack.js';
import { withServices } from './support.js';
import { configuredAgent } from '../lib/agent-config.js';

/**
 * `npm run bench -- slow-database`: batch-size tuning shown on wide rows, a database that becomes slow, then recovers.
 */
export const slowDatabase = new Command('slow-database')
  .description('shows batch-size tuning: wide rows, a database that becomes slow, then recovers')
  .option('--rounds <n>', 'rounds of new rows', (v) => Number(v), 9)
  .option('--rows-per-round <n>', 'new rows each round', (v) => Number(v), 30_000)
  .action((o) =>
    withServices(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rowferry-tuning-'));
      const targetMs = 500;
      const stack = await startStack('tuning', 2, {
        env: {
          TUNING_TARGET_MS: String(targetMs),
          TUNING_INITIAL_ROWS: '1000',
          TUNING_MAX_ROWS: '20000',
          TUNING_MAX_BYTES: String(8 * 1024 * 1024),
        },
      });
      const admin = new pg.Client({ connectionString: stack.databaseUrl });
      try {
        const dbPath = join(dir, 'wide.db');
        const local = new Database(dbPath);
        local.exec('CREATE TABLE wide (id INTEGER PRIMARY KEY, payload TEXT, note TEXT)');
        const creds = await enrollDatabase(stack, 'tuning');
        const agent = configuredAgent(stack, dir, creds, {
          source: { type: 'sqlite', path: 'wide.db' },
          tables: [{ name: 'wide' }],
          maxInFlight: 1,
          sliceRows: 1_000_000,
        });
        await agent.source.installTracking([{ name: 'wide' }]);
        await agent.registerTables();
        await admin.connect();
        await admin.query(
          `CREATE FUNCTION slow_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.0002); RETURN NEW; END $$`,
        );
        console.log(
          `target ${targetMs} ms a batch; rows of ~1 KiB; one batch in flight so each size answers the one before`,
        );
        console.log('round | database | batch sizes (rows) | batch durations (ms) | last recommendation');
        let id = 0;
        const insert = local.prepare('INSERT INTO wide (id, payload, note) VALUES (?, ?, ?)');
        for (let round = 1; round <= o.rounds; round++) {
          const slow = round > o.rounds / 3 && round <= (2 * o.rounds) / 3;
          await admin.query(
            slow
              ? `CREATE OR REPLACE TRIGGER slow BEFORE INSERT OR UPDATE ON rowferry_data.wide FOR EACH ROW EXECUTE FUNCTION slow_row()`
              : `DROP TRIGGER IF EXISTS slow ON rowferry_data.wide`,
          );
          local.transaction(() => {
            for (let i = 0; i < o.rowsPerRound; i++) insert.run(++id, 'x'.repeat(1000) + id, `round ${round}`);
          })();
          const before = await lastBatchId(admin);
          await agent.cycle();
          const { rows } = await admin.query(
            `SELECT rows, duration_ms FROM batch_history WHERE id > $1 AND job_type = 'upload' ORDER BY id`,
            [before],
          );
          const tuning = await agent.api.tuning('wide');
          console.log(
            `${round} | ${slow ? 'slow (0.2 ms a row)' : 'normal'} | ${abridge(rows.map((r) => r.rows))} | ${abridge(rows.map((r) => r.duration_ms))} | ${tuning.rows}: ${tuning.reason}`,
          );
        }
        await agent.close();
        local.close();
      } finally {
        await admin.end().catch(() => undefined);
        await stack.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }),
  );

/** A long list as its first and last few entries. */
function abridge(values: number[]): string {
  if (values.length <= 10) return values.join(' ');
  return `${values.slice(0, 6).join(' ')} … ${values.slice(-2).join(' ')} (${values.length} batches)`;
}

async function lastBatchId(db: pg.Client): Promise<number> {
  const { rows } = await db.query(`SELECT coalesce(max(id), 0)::int AS id FROM batch_history`);
  return rows[0].id;
}
