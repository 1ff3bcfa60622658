import { Command } from 'commander';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { enrollDatabase, startStack } from '../lib/stack.js';
import { makeTable, round, withServices } from './support.js';
import { configuredAgent } from '../lib/agent-config.js';

/**
 * `npm run bench -- anti-entropy`: the difference check verifying an equal table, then finding scattered differences.
 */
export const antiEntropy = new Command('anti-entropy')
  .description('the difference check on a large table: verify an equal table, then find scattered differences')
  .option('--rows <n>', 'rows in the table', (v) => Number(v), 1_000_000)
  .option('--slice-rows <n>', "rows the check verifies per pass (the agent's budget)", (v) => Number(v), 500_000)
  .action((o) =>
    withServices(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rowferry-ae-'));
      const dbPath = join(dir, 'bench.db');
      makeTable(dbPath, o.rows);
      const stack = await startStack('antientropy', 2);
      const admin = new pg.Client({ connectionString: stack.databaseUrl });
      try {
        const creds = await enrollDatabase(stack, 'ae');
        const agent = configuredAgent(stack, dir, creds, {
          source: { type: 'sqlite', path: 'bench.db' },
          tables: [{ name: 'bench_rows' }],
          sliceRows: o.sliceRows,
          // A slice every pass (docs/difference-check.md, Schedule): this scenario measures the check's rounds.
          verifyEvery: '1s',
        });
        await agent.source.installTracking([{ name: 'bench_rows' }]);
        await admin.connect();
        const remoteCount = async () =>
          (
            await admin.query('SELECT count(*)::int AS n FROM rowferry_data.bench_rows WHERE _rf_database = $1', [
              creds.databaseId,
            ])
          ).rows[0].n as number;
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
        await admin.query({
          text: 'SELECT id, _rf_version FROM rowferry_data.bench_rows WHERE _rf_database = $1',
          values: [creds.databaseId],
          rowMode: 'array',
        });
        const readSeconds = (performance.now() - t0) / 1000;

        // 2. One row deleted locally at a random place.
        const pick = () => 1 + Math.floor(Math.random() * o.rows);
        const one = pick();
        local.prepare('DELETE FROM bench_rows WHERE id = ?').run(one);
        const gone = async () =>
          (
            await admin.query('SELECT 1 FROM rowferry_data.bench_rows WHERE _rf_database = $1 AND id = $2', [
              creds.databaseId,
              one,
            ])
          ).rowCount === 0;
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
        await admin.query('DELETE FROM rowferry_data.bench_rows WHERE _rf_database = $1 AND id = ANY($2::bigint[])', [
          creds.databaseId,
          missing,
        ]);
        const repaired = async () => {
          const { rows } = await admin.query(
            'SELECT count(*)::int AS n FROM rowferry_data.bench_rows WHERE _rf_database = $1 AND (id = ANY($2::bigint[]) OR id = ANY($3::bigint[]))',
            [creds.databaseId, [...deleted], missing],
          );
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
        rmSync(dir, { recursive: true, force: true });
      }
    }),
  );
