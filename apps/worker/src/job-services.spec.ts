import { UnrecoverableError } from 'bullmq';
import pg from 'pg';
import { Registry } from 'prom-client';
import type { ColumnDef, DeleteJob, ManifestCheckJob, RangeHashJob, TenantRef, UploadJob } from '#contracts';
import { ensureDataTable } from '#persistence';
import { freshRemoteDatabase } from '../../../scripts/lib/databases.js';
import { DeleteService } from './delete/delete.service.js';
import type { WorkerConfig } from './config.js';
import { JobRunner, type JobMeta } from './jobs/job-runner.js';
import { WorkerMetrics } from './ops/worker-metrics.js';
import { ManifestCheckService } from './manifest-check/manifest-check.service.js';
import { RangeHashService } from './range-hash/range-hash.service.js';
import { UploadService } from './upload/upload.service.js';

const tenant: TenantRef = {
  customerId: '00000000-0000-4000-8000-000000000001',
  databaseId: '10000000-0000-4000-8000-000000000001',
};
const columns: ColumnDef[] = [
  { name: 'id', type: 'bigint' },
  { name: 'name', type: 'text' },
  { name: 'price', type: 'numeric' },
];
const key = [columns[0]];

const upload = (rows: [number, string, string][], versions: number[], range?: [number, number]): UploadJob => ({
  tenant,
  table: 'items',
  key,
  columns,
  rows: {
    columns: ['id', 'name', 'price'],
    values: [rows.map((r) => String(r[0])), rows.map((r) => r[1]), rows.map((r) => r[2])],
    versions: versions.map(String),
  },
  range: range && { after: String(range[0]), upTo: String(range[1]) },
  bytes: 100,
});
const meta = { jobId: 'test-job', attempt: 1 };

/** The four job services over one pool, as the worker module wires them. */
function jobServices(pool: pg.Pool) {
  const registry = new Registry();
  const metrics = new WorkerMetrics(registry, { METRICS_PER_DATABASE: true } as WorkerConfig);
  const runner = new JobRunner(pool, metrics);
  const [uploads, deletes, checks, hashes] = [
    new UploadService(runner),
    new DeleteService(runner),
    new ManifestCheckService(runner),
    new RangeHashService(runner, metrics),
  ];
  return {
    upload: (job: UploadJob, m: JobMeta) => uploads.upload(job, m),
    delete: (job: DeleteJob, m: JobMeta) => deletes.delete(job, m),
    manifestCheck: (job: ManifestCheckJob) => checks.manifestCheck(job),
    rangeHash: (job: RangeHashJob) => hashes.rangeHash(job),
    /** A counter's value for this tenant's items table. */
    counted: async (name: string) =>
      (await registry.getSingleMetric(name)!.get()).values.find(
        (v) => v.labels.table === 'items' && v.labels.database === tenant.databaseId,
      )?.value ?? 0,
  };
}
type JobServices = ReturnType<typeof jobServices>;

/** A fresh database with the tenant and its registered "items" table, as the API would have left them. */
async function registeredItemsTable(label: string) {
  const db = await freshRemoteDatabase(label);
  const pool = new pg.Pool({ connectionString: db.url });
  await ensureDataTable(pool, 'items', { columns, key: ['id'] });
  await pool.query(`INSERT INTO customers (id, name, enrollment_key_hash) VALUES ($1, 'c', 'x')`, [tenant.customerId]);
  await pool.query(`INSERT INTO databases (id, customer_id, name, secret_hash) VALUES ($1, $2, 'd', 'x')`, [
    tenant.databaseId,
    tenant.customerId,
  ]);
  await pool.query(
    `INSERT INTO registered_tables (database_id, table_name, columns, key_columns) VALUES ($1, 'items', $2, '["id"]')`,
    [tenant.databaseId, JSON.stringify(columns)],
  );
  await pool.query(`INSERT INTO table_stats (database_id, table_name, customer_id) VALUES ($1, 'items', $2)`, [
    tenant.databaseId,
    tenant.customerId,
  ]);
  return { db, pool, apply: jobServices(pool) };
}

describe('worker processors against real PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof freshRemoteDatabase>>;
  let pool: pg.Pool;
  let apply: JobServices;

  const stats = async () =>
    (
      await pool.query(
        `SELECT row_count::int, max_version::int, applied_through::int, pending_ranges FROM table_stats WHERE database_id = $1`,
        [tenant.databaseId],
      )
    ).rows[0];
  const rows = async () =>
    (await pool.query(`SELECT id::int, name, _rf_version::int AS v FROM rowferry_data.items ORDER BY id`)).rows;

  beforeAll(async () => {
    ({ db, pool, apply } = await registeredItemsTable('worker'));
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('upload: the same job run twice leaves the same rows and counts', async () => {
    const job = upload(
      [
        [1, 'a', '1.5'],
        [2, 'b', '2'],
      ],
      [1, 2],
      [0, 2],
    );
    expect(await apply.upload(job, meta)).toEqual({
      applied: 2,
      inserted: 2,
      skippedOlder: 0,
      quarantined: 0,
      deleted: 0,
    });
    expect(await apply.upload(job, meta)).toEqual({
      applied: 2,
      inserted: 0,
      skippedOlder: 0,
      quarantined: 0,
      deleted: 0,
    });
    expect(await stats()).toMatchObject({ row_count: 2, max_version: 2, applied_through: 2 });
  });

  it('upload: two jobs for one row in the opposite order end with the newer version', async () => {
    const older = upload([[3, 'old', '1']], [3], [2, 3]);
    const newer = upload([[3, 'new', '1']], [5], [4, 5]);
    await apply.upload(newer, meta);
    expect((await stats()).applied_through).toBe(2); // (4, 5] waits for (2, 4]
    expect(await apply.upload(older, meta)).toMatchObject({ applied: 0, skippedOlder: 1 });
    expect((await rows()).find((r) => r.id === 3)).toEqual({ id: 3, name: 'new', v: 5 });
    await apply.upload(upload([[4, 'd', '1']], [4], [3, 4]), meta);
    expect(await stats()).toMatchObject({ row_count: 4, max_version: 5, applied_through: 5, pending_ranges: [] });
  });

  it('upload: two jobs running at the same time both apply', async () => {
    await Promise.all([
      apply.upload(upload([[10, 'x', '1']], [10], [5, 10]), meta),
      apply.upload(upload([[11, 'y', '1']], [11], [10, 11]), meta),
    ]);
    expect(await stats()).toMatchObject({ row_count: 6, applied_through: 11, max_version: 11 });
  });

  it('delete by keys: version-guarded, idempotent', async () => {
    const job = {
      tenant,
      table: 'items',
      key,
      request: { mode: 'keys' as const, keys: [['1', '3']], versions: ['1', '4'] },
    };
    expect(await apply.delete(job, meta)).toEqual({ deleted: 1 }); // id 3 is at version 5, newer than 4: kept
    expect(await apply.delete(job, meta)).toEqual({ deleted: 0 });
    expect((await rows()).map((r) => r.id)).toEqual([2, 3, 4, 10, 11]);
    expect((await stats()).row_count).toBe(5);
  });

  it('delete above a version: rewinds the watermark and the max version', async () => {
    expect(await apply.delete({ tenant, table: 'items', key, request: { mode: 'above', version: '5' } }, meta)).toEqual(
      { deleted: 2 },
    );
    expect(await stats()).toMatchObject({ row_count: 3, max_version: 5, applied_through: 5 });
  });

  it('manifest check: reports remote-only keys and keys missing or older remotely', async () => {
    const result = await apply.manifestCheck({
      tenant,
      table: 'items',
      key,
      ranges: [{ after: '0', upTo: '5' }],
      keys: ['["2"]', '["3"]', '["9"]'],
      versions: ['2', '6', '4'],
    });
    expect(result).toEqual({
      remoteOnly: [{ key: '["4"]', version: '4' }],
      missingOrOlder: ['["3"]', '["9"]'],
      newerRemotely: [],
    });
  });

  it('a refused row is quarantined with the database message; the rest of the batch applies', async () => {
    const [applied, quarantined] = [
      await apply.counted('rowferry_rows_applied_total'),
      await apply.counted('rowferry_rows_quarantined_total'),
    ];
    const bad = upload(
      [
        [20, 'ok', '1'],
        [21, 'bad', 'not a number'],
        [22, 'ok too', '2'],
      ],
      [20, 21, 22],
      [5, 22],
    );
    expect(await apply.upload(bad, meta)).toEqual({
      applied: 2,
      inserted: 2,
      skippedOlder: 0,
      quarantined: 1,
      deleted: 0,
    });
    expect((await rows()).filter((r) => r.id >= 20).map((r) => r.id)).toEqual([20, 22]);
    expect(await apply.counted('rowferry_rows_applied_total')).toBe(applied + 2);
    expect(await apply.counted('rowferry_rows_quarantined_total')).toBe(quarantined + 1);
    const q = async () =>
      (await pool.query(`SELECT row_key, version::int, row, error, attempts FROM quarantine ORDER BY id`)).rows;
    expect(await q()).toEqual([
      {
        row_key: '["21"]',
        version: 21,
        row: { id: '21', name: 'bad', price: 'not a number' },
        error: expect.stringMatching(/invalid input syntax for type numeric: "not a number"; SQLSTATE 22P02/),
        attempts: 1,
      },
    ]);
    expect(await stats()).toMatchObject({ applied_through: 22 }); // the table moves on past the bad row
    // Sent again at the same version: one more attempt, no second entry.
    expect(await apply.upload(bad, meta)).toMatchObject({ quarantined: 1 });
    expect((await q()).map((e) => e.attempts)).toEqual([2]);
    // The difference check does not ask for it again at that version.
    expect(
      await apply.manifestCheck({
        tenant,
        table: 'items',
        key,
        ranges: [{ after: '19', upTo: '22' }],
        keys: ['["20"]', '["21"]', '["22"]'],
        versions: ['20', '21', '22'],
      }),
    ).toEqual({ remoteOnly: [], missingOrOlder: [], newerRemotely: [] });
    // Fixed locally, it arrives with a newer version and leaves the quarantine.
    expect(await apply.upload(upload([[21, 'fixed', '3']], [23]), meta)).toMatchObject({ applied: 1, quarantined: 0 });
    expect(await q()).toEqual([]);
    const history = (
      await pool.query(
        `SELECT outcome, quarantined, rows FROM batch_history WHERE job_type = 'upload' ORDER BY id DESC LIMIT 3`,
      )
    ).rows;
    expect(history).toEqual([
      { outcome: 'applied', quarantined: 0, rows: 1 },
      { outcome: 'partial', quarantined: 1, rows: 3 },
      { outcome: 'partial', quarantined: 1, rows: 3 },
    ]);
  });

  it('isolates several bad rows of several kinds in a large batch', async () => {
    const n = 1000;
    const data: [number, string, string][] = Array.from({ length: n }, (_, i) => [
      1000 + i,
      i === 10 ? `nul${String.fromCharCode(0)}inside` : `row ${i}`,
      i === 500 ? '1e999999' : i === 999 ? 'x' : String(i),
    ]);
    const r = await apply.upload(
      upload(
        data,
        data.map((d) => d[0]),
      ),
      meta,
    );
    expect(r).toMatchObject({ applied: n - 3, quarantined: 3 });
    const errors = (await pool.query(`SELECT row_key, error FROM quarantine ORDER BY version`)).rows;
    expect(errors.map((e) => e.row_key)).toEqual(['["1010"]', '["1500"]', '["1999"]']);
    expect(errors[0].error).toMatch(/\\u0000 cannot be converted to text/);
    expect(errors[1].error).toMatch(/out of range|overflow/);
  });

  it('a statement the schema cannot run fails at once with an UnrecoverableError naming the problem', async () => {
    const job = { ...upload([[30, 'a', '1']], [30]), columns: [...columns, { name: 'colour', type: 'text' as const }] };
    job.rows = { ...job.rows, columns: [...job.rows.columns, 'colour'], values: [...job.rows.values, ['red']] };
    const err = await apply.upload(job, meta).catch((e) => e);
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect(err.message).toMatch(
      /upload of 1 rows to "items" was refused by PostgreSQL: column "colour" of relation "items" does not exist/,
    );
    const last = (await pool.query(`SELECT outcome, error_class FROM batch_history ORDER BY id DESC LIMIT 1`)).rows[0];
    expect(last).toEqual({ outcome: 'failed', error_class: 'schema' });
  });

  it('a job that runs past the statement timeout fails at once, saying so', async () => {
    const impatient = new pg.Pool({ connectionString: db.url, statement_timeout: 300 });
    const holder = await pool.connect();
    try {
      // Another session holds the table: the job's read waits, and the wait counts against its timeout.
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE rowferry_data.items IN ACCESS EXCLUSIVE MODE');
      const err = await jobServices(impatient)
        .rangeHash({ tenant, table: 'items', key, ranges: [{ after: '0', upTo: '100' }] })
        .catch((e) => e);
      expect(err).toBeInstanceOf(UnrecoverableError);
      expect(err.message).toMatch(/range hash of "items" ran longer than the statement timeout and was stopped/);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
      await impatient.end();
    }
  });

  it('counts the rows a range hash read for the table, and the time it took (what the idle fleet costs)', async () => {
    const services = jobServices(pool);
    const r = await services.rangeHash({ tenant, table: 'items', key, ranges: [{ after: '0', upTo: '1000000' }] });
    const rows = r.digests.reduce((n, d) => n + d.count, 0);
    expect(rows).toBeGreaterThan(0);
    expect(await services.counted('rowferry_check_rows_total')).toBe(rows);
    expect(await services.counted('rowferry_check_seconds_total')).toBeGreaterThan(0);
  });

  it('a database outage is not a data error: it is retried (a plain Error), and its message shows no address', async () => {
    const down = jobServices(
      new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/none', connectionTimeoutMillis: 500 }),
    );
    const err = await down.upload(upload([[1, 'a', '1']], [1]), meta).catch((e) => e);
    expect(err.message).toMatch(
      /failed on a passing fault \(the cloud database was unreachable, restarting or busy\); it is retried/,
    );
    expect(err.message).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|:1\b/);
    expect(err).not.toBeInstanceOf(UnrecoverableError);
  });
});

describe('worker processors on a bad day (real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof freshRemoteDatabase>>;
  let pool: pg.Pool;
  let apply: JobServices;
  const stats = async () =>
    (
      await pool.query(
        `SELECT row_count::int, max_version::int, applied_through::int FROM table_stats WHERE database_id = $1`,
        [tenant.databaseId],
      )
    ).rows[0];
  const rows = async () =>
    (await pool.query(`SELECT id::int, name, _rf_version::int AS v FROM rowferry_data.items ORDER BY id`)).rows;
  const quarantine = async () =>
    (await pool.query(`SELECT row_key, version::int FROM quarantine ORDER BY row_key, version`)).rows;

  beforeAll(async () => {
    ({ db, pool, apply } = await registeredItemsTable('worker_bad_day'));
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('a batch holding one key several times stores the newest and counts one row', async () => {
    const r = await apply.upload(
      upload(
        [
          [1, 'a', '1'],
          [1, 'b', '1'],
          [2, 'x', '1'],
          [1, 'c', '1'],
        ],
        [3, 5, 6, 4],
        [0, 6],
      ),
      meta,
    );
    expect(r).toMatchObject({ applied: 2, inserted: 2, quarantined: 0 });
    expect(await rows()).toEqual([
      { id: 1, name: 'b', v: 5 },
      { id: 2, name: 'x', v: 6 },
    ]);
    expect(await stats()).toEqual({ row_count: 2, max_version: 6, applied_through: 6 });
  });

  it('a compare-and-set replace takes back a row newer remotely (a lost timeline), only while it still has that version', async () => {
    await apply.upload(
      upload(
        [
          [5, 'lost timeline', '1'],
          [6, 'lost too', '1'],
        ],
        [50, 60],
        [6, 60],
      ),
      meta,
    );
    const replace = (id: number, name: string, version: number, remote: number) => ({
      ...upload([[id, name, '2']], [version]),
      replace: [String(remote)],
    });
    expect(await apply.upload(replace(5, 'restored', 40, 50), meta)).toMatchObject({ applied: 1 });
    // The remote row of key 6 is no longer at version 59: nothing is replaced, and the version guard keeps it.
    expect(await apply.upload(replace(6, 'stale', 41, 59), meta)).toMatchObject({ applied: 0, skippedOlder: 1 });
    expect((await rows()).filter((r) => r.id === 5 || r.id === 6)).toEqual([
      { id: 5, name: 'restored', v: 40 },
      { id: 6, name: 'lost too', v: 60 },
    ]);
    expect((await stats()).max_version).toBe(60);
    await apply.upload(replace(6, 'restored', 42, 60), meta);
    expect((await rows()).filter((r) => r.id === 5 || r.id === 6)).toEqual([
      { id: 5, name: 'restored', v: 40 },
      { id: 6, name: 'restored', v: 42 },
    ]);
    expect((await stats()).max_version).toBe(42); // counted again, not kept from the replaced row
    await apply.delete(
      { tenant, table: 'items', key, request: { mode: 'keys', keys: [['5', '6']], versions: ['40', '42'] } },
      meta,
    );
  });

  it('an old upload retried after a range delete is refused whole: it cannot move applied-through over the rewound range', async () => {
    const timeline = (
      await pool.query(`SELECT timeline::text AS t FROM table_stats WHERE database_id = $1`, [tenant.databaseId])
    ).rows[0].t as string;
    const old = {
      ...upload(
        [
          [70, 'old timeline', '1'],
          [71, 'old timeline', '1'],
        ],
        [70, 71],
        [60, 71],
      ),
      timeline,
    };
    await apply.upload(old, meta);
    expect((await stats()).applied_through).toBe(71);
    await apply.delete({ tenant, table: 'items', key, request: { mode: 'above', version: '60', timeline } }, meta);
    expect(await stats()).toMatchObject({ applied_through: 60 });
    const retried = await apply.upload(old, meta).catch((e) => e);
    expect(retried).toBeInstanceOf(UnrecoverableError);
    expect(retried.message).toMatch(
      /made for timeline 0 of table "items", which has since been rewound by a range delete \(now timeline 1\)/,
    );
    expect(await stats()).toMatchObject({ applied_through: 60 });
    expect((await rows()).filter((r) => r.id >= 70)).toEqual([]);
    // The same range delete retried is refused too: it would delete what the new timeline wrote since.
    await expect(
      apply.delete({ tenant, table: 'items', key, request: { mode: 'above', version: '60', timeline } }, meta),
    ).rejects.toThrow(UnrecoverableError);
    // Made for the current timeline, it applies.
    expect(await apply.upload({ ...old, timeline: '1' }, meta)).toMatchObject({ applied: 2 });
    await apply.delete(
      {
        tenant,
        table: 'items',
        key,
        request: { mode: 'keys', keys: [['70', '71']], versions: ['70', '71'], timeline: '1' },
      },
      meta,
    );
  });

  it('a quarantined row does not shield its key: deleted locally, the remote row and its entry go', async () => {
    await apply.upload(upload([[7, 'first', '1']], [7], [6, 7]), meta);
    // Updated locally to a value the cloud refuses: the remote keeps version 7, the quarantine holds version 8.
    expect(await apply.upload(upload([[7, 'second', 'not a number']], [8], [7, 8]), meta)).toMatchObject({
      quarantined: 1,
    });
    // The key is gone locally: the difference check must report it (at the quarantined version) for deletion.
    const diff = await apply.manifestCheck({
      tenant,
      table: 'items',
      key,
      ranges: [{ after: '6', upTo: '8' }],
      keys: [],
      versions: [],
    });
    expect(diff).toEqual({ remoteOnly: [{ key: '["7"]', version: '8' }], missingOrOlder: [], newerRemotely: [] });
    expect(
      await apply.delete(
        { tenant, table: 'items', key, request: { mode: 'keys', keys: [['7']], versions: ['8'] } },
        meta,
      ),
    ).toEqual({ deleted: 1 });
    expect((await rows()).map((r) => r.id)).toEqual([1, 2]);
    expect(await quarantine()).toEqual([]);
  });

  it('a quarantined key that still exists locally is reported at its quarantined version, so the agent need not resend it', async () => {
    await apply.upload(upload([[9, 'ok', '1']], [9], [8, 9]), meta);
    await apply.upload(upload([[9, 'bad', 'nan?']], [12], [9, 12]), meta);
    // The slice holds the remote row (version 9) but not the local one (version 12).
    const diff = await apply.manifestCheck({
      tenant,
      table: 'items',
      key,
      ranges: [{ after: '8', upTo: '10' }],
      keys: [],
      versions: [],
    });
    expect(diff).toEqual({ remoteOnly: [{ key: '["9"]', version: '12' }], missingOrOlder: [], newerRemotely: [] });
  });

  it('a range delete removes the quarantine entries above it too', async () => {
    expect(await quarantine()).toEqual([{ row_key: '["9"]', version: 12 }]);
    await apply.delete({ tenant, table: 'items', key, request: { mode: 'above', version: '10' } }, meta);
    expect(await quarantine()).toEqual([]);
  });

  it("deleting all of a tenant's rows works, resets the stats and empties the quarantine", async () => {
    await apply.upload(upload([[30, 'bad', 'x']], [30], [12, 30]), meta);
    expect(await quarantine()).toHaveLength(1);
    expect(await apply.delete({ tenant, table: 'items', key, request: { mode: 'all' } }, meta)).toEqual({ deleted: 3 });
    expect(await rows()).toEqual([]);
    expect(await quarantine()).toEqual([]);
    expect(await stats()).toEqual({ row_count: 0, max_version: 0, applied_through: 0 });
  });

  it("an upload's logged deletes: version-guarded in the same job, quarantine entries go, a key of the wrong type is isolated", async () => {
    await apply.upload(
      upload(
        [
          [40, 'a', '1'],
          [41, 'b', '2'],
          [42, 'c', '3'],
        ],
        [40, 41, 42],
        [0, 42],
      ),
      meta,
    );
    expect(await apply.upload(upload([[43, 'bad', 'x']], [43], [42, 43]), meta)).toMatchObject({ quarantined: 1 });
    const job: UploadJob = {
      ...upload([[41, 'b again', '5']], [46], [43, 48]),
      // 40 goes; 41 was deleted at 45 but written again at 46 (kept); 43 lived only in the quarantine; 'abc' names no
      // row a bigint key could hold.
      deletes: { keys: [['40', '41', '43', 'abc']], versions: ['44', '45', '47', '48'] },
    };
    expect(await apply.upload(job, meta)).toEqual({
      applied: 1,
      inserted: 0,
      skippedOlder: 0,
      quarantined: 0,
      deleted: 1,
    });
    expect(await rows()).toEqual([
      { id: 41, name: 'b again', v: 46 },
      { id: 42, name: 'c', v: 42 },
    ]);
    expect(await quarantine()).toEqual([]);
    expect(await stats()).toMatchObject({ row_count: 2, max_version: 46, applied_through: 48 });
    // The same job again changes nothing.
    expect(await apply.upload(job, meta)).toMatchObject({ deleted: 0 });
    expect(await stats()).toMatchObject({ row_count: 2, max_version: 46, applied_through: 48 });
  });

  it('after a batch of only new rows the next is inserted first; an existing key makes it an upsert, still version-guarded', async () => {
    expect(await apply.upload(upload([[60, 'new', '1']], [60]), meta)).toMatchObject({ inserted: 1 });
    expect(
      await apply.upload(
        upload(
          [
            [61, 'also new', '1'],
            [60, 'older', '1'],
            [41, 'older', '1'],
          ],
          [61, 59, 40],
        ),
        meta,
      ),
    ).toMatchObject({ applied: 1, inserted: 1, skippedOlder: 2 });
    expect((await rows()).filter((r) => [41, 60, 61].includes(r.id))).toEqual([
      { id: 41, name: 'b again', v: 46 },
      { id: 60, name: 'new', v: 60 },
      { id: 61, name: 'also new', v: 61 },
    ]);
  });
});
