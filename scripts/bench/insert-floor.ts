import { Command } from 'commander';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { TableDefinition, TenantRef } from '#contracts';
import { dataTable, ensureDataTable, insertNewRows, withTenant } from '#persistence';
import { freshRemoteDatabase, serviceUrl } from '../lib/databases.js';
import { cpuSeconds, round, withServices } from './support.js';

const tenant: TenantRef = {
  customerId: '00000000-0000-4000-8000-0000000000f1',
  databaseId: '10000000-0000-4000-8000-0000000000f1',
};

/** initial-load's table (makeTable), registered as the agent registers it. */
const def: TableDefinition = {
  columns: [
    { name: 'id', type: 'bigint' },
    { name: 'name', type: 'text' },
    { name: 'qty', type: 'bigint' },
    { name: 'price', type: 'double' },
    { name: 'note', type: 'text' },
  ],
  key: ['id'],
};

/** makeTable's rows, as the wire carries them: column-wise, 64-bit integers and versions as strings. */
function batchOf(first: number, n: number) {
  const ids = Array.from({ length: n }, (_, r) => first + r);
  return {
    values: [
      ids.map(String),
      ids.map((i) => `customer name ${i}`),
      ids.map((i) => String(i % 1000)),
      ids.map((i) => i / 100),
      ids.map((i) => (i % 3 ? null : `note ${i}`)),
    ],
    versions: ids.map(String),
  };
}

type Batch = ReturnType<typeof batchOf>;

/** Batches of `batchRows` of makeTable's first `rows` rows. */
function batchesOf(rows: number, batchRows: number): Batch[] {
  const batches = [];
  for (let first = 1; first <= rows; first += batchRows)
    batches.push(batchOf(first, Math.min(batchRows, rows - first + 1)));
  return batches;
}

/** The same rows as COPY text, a chunk a batch, `prefix` before each row (the tenant columns a table needs). */
function copyLines(batches: Batch[], prefix: string): string[] {
  return batches.map(({ values, versions }) => {
    let chunk = '';
    for (let r = 0; r < versions.length; r++)
      chunk += `${prefix}${values.map((c) => (c[r] === null ? '\\N' : String(c[r]))).join('\t')}\t${versions[r]}\n`;
    return chunk;
  });
}

/** The process serving a connection, whose CPU is PostgreSQL's for that connection's work. */
async function backendPid(db: pg.Client | pg.Pool): Promise<number> {
  const { rows } = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return rows[0].pid;
}

/** CPU seconds of one backend while `work` runs, and the work's wall seconds. */
async function measured(pid: number, work: () => Promise<unknown>) {
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  await work();
  return { seconds: round((performance.now() - t0) / 1000), backend_cpu_seconds: round(cpuSeconds(pid) - cpu0) };
}

/**
 * `npm run bench -- insert-floor`: PostgreSQL's part of an initial load taken apart, as the CPU seconds of the one
 * backend doing it, for the same rows: a raw COPY into initial-load's reference table; a COPY into a rowferry data
 * table (what its layout costs: the tenant columns, partitions, the version index, the audit times; as the owner, so
 * without row-level security); and the worker's own statement (insertNewRows, as the service role, in batches).
 * What the layout costs against the reference, and what the worker's statement costs beyond a COPY, in one run.
 */
export const insertFloor = new Command('insert-floor')
  .description("PostgreSQL's CPU for the same rows: raw COPY, COPY into a data table, the worker's insert")
  .option('--rows <n>', 'rows', (v) => Number(v), 1_000_000)
  .option('--batch-rows <n>', "rows per worker's statement", (v) => Number(v), 20_000)
  .action((o: { rows: number; batchRows: number }) =>
    withServices(async () => {
      const db = await freshRemoteDatabase('insert_floor');
      const admin = new pg.Client({ connectionString: db.url });
      const service = new pg.Pool({ connectionString: await serviceUrl(db.url), max: 1 });
      try {
        await admin.connect();
        await ensureDataTable(admin, 'bench_rows', def);
        await admin.query(
          'CREATE TABLE bench_copy (tenant uuid NOT NULL, id bigint NOT NULL, name text, qty bigint, price double precision, note text, version bigint NOT NULL, PRIMARY KEY (tenant, id))',
        );
        const adminPid = await backendPid(admin);
        const copy = async (target: string, lines: string[]) => {
          await admin.query('CHECKPOINT');
          const stream = admin.query(copyFrom(`COPY ${target} FROM STDIN`));
          return measured(adminPid, () => pipeline(Readable.from(lines), stream));
        };
        const batches = batchesOf(o.rows, o.batchRows);
        const reference = await copy('bench_copy', copyLines(batches, `${tenant.databaseId}\t`));
        const layoutCopy = await copy(
          `${dataTable('bench_rows')} (_rf_customer, _rf_database, id, name, qty, price, note, _rf_version)`,
          copyLines(batches, `${tenant.customerId}\t${tenant.databaseId}\t`),
        );
        await admin.query(`TRUNCATE ${dataTable('bench_rows')}`);
        await admin.query('CHECKPOINT');
        const columns = def.columns.map((c) => c.name);
        const jobs = batches.map((rows) => ({
          table: 'bench_rows',
          columns: def.columns,
          rows: { columns, ...rows },
          tenant,
        }));
        // One connection (max 1), so every batch runs on the backend measured.
        const workerInsert = await measured(await backendPid(service), async () => {
          for (const job of jobs) await withTenant(service, tenant, (c) => insertNewRows(c, job));
        });
        const { rows } = await admin.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${dataTable('bench_rows')} WHERE _rf_database = $1`,
          [tenant.databaseId],
        );
        if (rows[0].n !== o.rows) throw new Error(`the worker's insert wrote ${rows[0].n} rows of ${o.rows}`);
        console.log(
          `RESULT ${JSON.stringify({
            scenario: 'insert-floor',
            rows: o.rows,
            reference_copy: reference,
            data_table_copy: layoutCopy,
            worker_insert: workerInsert,
            layout_vs_reference: round(layoutCopy.backend_cpu_seconds / reference.backend_cpu_seconds),
            worker_insert_vs_layout_copy: round(workerInsert.backend_cpu_seconds / layoutCopy.backend_cpu_seconds),
          })}`,
        );
      } finally {
        await admin.end();
        await service.end();
        await db.drop();
      }
    }),
  );
