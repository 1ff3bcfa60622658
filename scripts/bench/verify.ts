import { Command } from 'commander';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { configuredAgent } from '../lib/agent-config.js';
import { scratchDatabase } from '../lib/databases.js';
import { enrollDatabase, startStack } from '../lib/stack.js';
import { round, withServices } from './support.js';

const run = promisify(execFile);

/** pg_comparator's URL for a table of the database at `url`, comparing by `key` and `cols`. */
function comparatorUrl(url: string, table: string, key: string, cols: string[]): string {
  const u = new URL(url);
  return `pgsql://${u.username}@${u.hostname}:${u.port || 5432}${u.pathname}/${table}?${key}:${cols.join(',')}`;
}

/** Seconds pg_comparator takes to compare the two tables, or undefined when it is not installed. */
async function pgComparator(a: string, b: string): Promise<{ seconds: number; output: string } | undefined> {
  try {
    await run('pg_comparator', ['--version']);
  } catch {
    return undefined;
  }
  const t0 = performance.now();
  const { stdout } = await run('pg_comparator', ['--no-lock', a, b], { maxBuffer: 64 << 20 });
  return { seconds: (performance.now() - t0) / 1000, output: stdout.trim() };
}

const COLUMNS = ['name', 'qty', 'price', 'note'];

/**
 * `npm run bench -- verify --source postgres`: the difference check of an equal 1M-row PostgreSQL source table, by
 * keys and versions and by content, against reading every (key, version) pair in SQL and against pg_comparator
 * (Debian `postgresql-comparator`, when installed) on the same tables in the same run.
 */
export const verify = new Command('verify')
  .description('verify an equal table: rowferry against plain SQL reads and pg_comparator (PostgreSQL source)')
  .option('--source <engine>', 'source engine (postgres)', 'postgres')
  .option('--rows <n>', 'rows in the table', (v) => Number(v), 1_000_000)
  .action((o) =>
    withServices(async () => {
      if (o.source !== 'postgres') throw new Error('only --source postgres is measured so far');
      const dir = mkdtempSync(join(tmpdir(), 'rowferry-bench-verify-'));
      const stack = await startStack('verify', 2);
      const { url: sourceUrl, drop } = await scratchDatabase('postgres', 'bench_verify');
      const source = new pg.Client({ connectionString: sourceUrl });
      const remote = new pg.Client({ connectionString: stack.databaseUrl });
      await source.connect();
      await remote.connect();
      try {
        await source.query(`CREATE TABLE bench_rows (id bigint PRIMARY KEY, name text NOT NULL, qty int, price numeric(12, 2), note text);
          INSERT INTO bench_rows SELECT i, 'customer name ' || i, i % 1000, i / 100.0, CASE WHEN i % 3 = 0 THEN 'note ' || i END
            FROM generate_series(1, ${o.rows}) i`);
        const creds = await enrollDatabase(stack, 'verify');
        const agent = configuredAgent(stack, dir, creds, {
          source: { type: 'postgres', url: sourceUrl },
          tables: [{ name: 'bench_rows' }],
          sliceRows: o.rows,
          verifyContentEvery: 0,
        });
        await agent.source.installTracking([{ name: 'bench_rows' }]);
        while ((await agent.cycle()).tables.some((t) => !('steps' in t) || t.steps.at(-1) !== 'equal'));
        await source.query('VACUUM ANALYZE bench_rows');
        await remote.query('VACUUM ANALYZE rowferry_data.bench_rows');

        // The reference: every (key, version) pair read from both sides in SQL.
        const t0 = performance.now();
        await source.query({ text: 'SELECT id, _rowferry_version FROM bench_rows', rowMode: 'array' });
        await remote.query({
          text: 'SELECT id, _rf_version FROM rowferry_data.bench_rows WHERE _rf_database = $1',
          values: [creds.databaseId],
          rowMode: 'array',
        });
        const readPairs = (performance.now() - t0) / 1000;

        const timed = async (content: boolean) => {
          const before = { ...agent.api.traffic };
          const start = performance.now();
          const [r] = (await agent.verify({ content })).values();
          const bytes = agent.api.traffic.sent - before.sent + agent.api.traffic.received - before.received;
          return { seconds: (performance.now() - start) / 1000, passes: r.passes, found: r.found, bytes };
        };
        const keys = await timed(false);
        const content = await timed(true);

        // pg_comparator on the same two tables: the remote through a view of this tenant's rows.
        await remote.query(
          `CREATE VIEW bench_cmp AS SELECT id, ${COLUMNS.join(', ')}, _rf_version AS _rowferry_version
             FROM rowferry_data.bench_rows WHERE _rf_database = '${creds.databaseId}'`,
        );
        for (const c of [source, remote]) await c.query('CREATE EXTENSION IF NOT EXISTS pgcmp');
        const local = (cols: string[]) => comparatorUrl(sourceUrl, 'public.bench_rows', 'id', cols);
        const cloud = (cols: string[]) => comparatorUrl(stack.databaseUrl, 'public.bench_cmp', 'id', cols);
        const peerKeys = await pgComparator(local(['_rowferry_version']), cloud(['_rowferry_version']));
        const peerContent = await pgComparator(
          local([...COLUMNS, '_rowferry_version']),
          cloud([...COLUMNS, '_rowferry_version']),
        );
        await agent.close();
        console.log(
          `RESULT ${JSON.stringify({
            scenario: 'verify',
            source: 'postgres',
            rows: o.rows,
            read_all_pairs_seconds: round(readPairs),
            rowferry_keys_seconds: round(keys.seconds),
            rowferry_keys_bytes: keys.bytes,
            rowferry_content_seconds: round(content.seconds),
            rowferry_content_bytes: content.bytes,
            found: keys.found + content.found,
            pg_comparator_keys_seconds: peerKeys ? round(peerKeys.seconds) : 'not installed',
            pg_comparator_content_seconds: peerContent ? round(peerContent.seconds) : 'not installed',
            keys_vs_pg_comparator: peerKeys ? round(keys.seconds / peerKeys.seconds) : null,
            content_vs_pg_comparator: peerContent ? round(content.seconds / peerContent.seconds) : null,
            pg_comparator_said: peerKeys ? [peerKeys.output, peerContent?.output] : null,
          })}`,
        );
      } finally {
        await source.end();
        await remote.query('DROP VIEW IF EXISTS bench_cmp').catch(() => undefined);
        await remote.end();
        await stack.stop();
        await drop();
        rmSync(dir, { recursive: true, force: true });
      }
    }),
  );
