import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import pg from 'pg';
import { redisConnection } from '#queues';
import { startStack, type Stack } from '../../scripts/lib/stack.js';
import {
  call,
  enroll,
  enrollCustomer,
  ITEMS,
  seedItems,
  snapshotOf,
  spellings,
  tenantPath,
  waitForJob,
  type Tenant,
} from './support.js';

const BOARD_PASSWORD = 'board-password-for-tests';

/** Inputs that used to answer 500, leak what another tenant has, or write where they should not: 4xx, nothing else. */
describe('hostile input', () => {
  let stack: Stack;
  let a: Tenant;
  let b: Tenant;
  const as = (t: Tenant) => ({ secret: t.secret });

  beforeAll(async () => {
    stack = await startStack('hostile', 1, {
      env: {
        BULL_BOARD_PASSWORD: BOARD_PASSWORD,
        MAX_DATABASES_PER_CUSTOMER: '3',
        MAX_TABLES_PER_DATABASE: '6',
        MAX_COLUMNS_PER_TABLE: '50',
        REGISTRATION_CHANGES_PER_MINUTE: '20',
      },
    });
    [a, b] = [await enroll(stack, 'a'), await enroll(stack, 'b')];
    await seedItems(stack, a, 3);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const columns = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `c${i}`, type: 'text' }));
  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

  type Case = [name: string, method: string, path: () => string, body: unknown, status: number, message: RegExp];
  it.each<Case>([
    [
      'a job id naming an inherited property',
      'GET',
      () => `/jobs/constructor.${a.databaseId}.${a.databaseId}`,
      undefined,
      404,
      /does not exist for this database/,
    ],
    [
      'a batch id above 2^63',
      'GET',
      () => '/tables/items/batches?before=99999999999999999999',
      undefined,
      400,
      /before: must be a decimal integer string/,
    ],
    [
      'a quarantine id above 2^63 in a list',
      'GET',
      () => '/tables/items/quarantine?before=9223372036854775808',
      undefined,
      400,
      /before: .*64-bit/,
    ],
    [
      'a quarantine id above 2^63 to retry',
      'POST',
      () => '/tables/items/quarantine/9223372036854775808/retry',
      undefined,
      400,
      /quarantine id: .*64-bit/,
    ],
    ...['ctid', 'xmin', 'tableoid'].map(
      (name) =>
        [
          `a column named ${name}`,
          'PUT',
          () => `/tables/sys_${name}`,
          {
            columns: [
              { name: 'id', type: 'bigint' },
              { name, type: 'text' },
            ],
            key: ['id'],
          },
          400,
          /system column names/,
        ] as Case,
    ),
    [
      '1,600 columns',
      'PUT',
      () => '/tables/wide',
      { columns: columns(1600), key: ['c0'] },
      400,
      /at most 1595 columns/,
    ],
    [
      'more columns than the setting allows',
      'PUT',
      () => '/tables/wide',
      { columns: columns(51), key: ['c0'] },
      409,
      /would have 51 columns; a table may have at most 50/,
    ],
    [
      '33 key columns',
      'PUT',
      () => '/tables/widekey',
      { columns: columns(33), key: columns(33).map((c) => c.name) },
      400,
      /a key can have at most 31 columns/,
    ],
    // Over 64 KiB, an upload's body is parsed and checked on an intake thread: its problems are 400s just the same.
    [
      'a large upload that is not JSON',
      'POST',
      () => '/tables/items',
      `{"rows":{"columns":["id"],"values":[[${'"1",'.repeat(30_000)}`,
      400,
      /^the request body is not valid JSON: /,
    ],
    [
      'a large upload without versions',
      'POST',
      () => '/tables/items',
      { rows: { columns: ['id'], values: [ids(20_000)] } },
      400,
      /^invalid request body: rows\.versions: /,
    ],
    [
      'a large upload naming a column the table does not have',
      'POST',
      () => '/tables/items',
      {
        rows: {
          columns: ['nope'],
          values: [Array.from({ length: 20_000 }, (_, i) => String(i))],
          versions: ids(20_000),
        },
      },
      400,
      /^table "items": .*nope/,
    ],
    [
      'a value nested 10,000 deep',
      'POST',
      () => '/tables/items',
      `{"rows":{"columns":["id","name"],"values":[["1"],[${nested(10_000)}]],"versions":["1"]}}`,
      400,
      // The intake thread's stack shows the start of it; the main thread's was too small to ("too deep to show").
      /column "name" in row 0: (\[+|a value nested too deep to show) is not a single value/,
    ],
    [
      'logged deletes with a key array too many',
      'POST',
      () => '/tables/items',
      { rows: { columns: ['id'], values: [[]], versions: [] }, deletes: { keys: [['1'], ['2']], versions: ['5'] } },
      400,
      /has 1 key column\(s\) \(id\); the request gives 2 key array\(s\)/,
    ],
    [
      'logged deletes with an object for a key',
      'POST',
      () => '/tables/items',
      { rows: { columns: ['id'], values: [[]], versions: [] }, deletes: { keys: [[{ a: 1 }]], versions: ['5'] } },
      400,
      /invalid|not a single value/,
    ],
    [
      'a content check naming a column the table does not have',
      'POST',
      () => '/tables/items/range-hash',
      { ranges: [{ after: '0', upTo: '10' }], columns: ['id', 'nope'] },
      400,
      /column "nope" is not registered for this table/,
    ],
    [
      'a definition nested 10,000 deep',
      'PUT',
      () => '/tables/deep',
      `{"columns":${nested(10_000)},"key":["id"]}`,
      400,
      /invalid request body/,
    ],
    [
      'unsorted ranges',
      'POST',
      () => '/tables/items/range-hash',
      {
        ranges: [
          { after: '5', upTo: '9' },
          { after: '0', upTo: '5' },
        ],
      },
      400,
      /ranges must be sorted and must not overlap: range 1 starts at 0, below the end of range 0 \(9\)/,
    ],
    [
      '4,096 copies of one range',
      'POST',
      () => '/tables/items/manifest-check',
      {
        ranges: Array.from({ length: 4096 }, () => ({ after: '0', upTo: '9223372036854775807' })),
        keys: [],
        versions: [],
      },
      400,
      /must not overlap/,
    ],
  ])('%s', async (_name, method, path, body, status, message) => {
    const r = await call(stack, method, tenantPath(a) + path(), { ...as(a), body });
    expect([r.status, r.body.message]).toEqual([status, expect.stringMatching(message)]);
  });

  it('an upper-case database id is the same database: registered, counted and polled under its canonical id', async () => {
    const upper = { ...a, databaseId: a.databaseId.toUpperCase(), customerId: a.customerId.toUpperCase() };
    expect((await call(stack, 'PUT', `${tenantPath(upper)}/tables/upper_case`, { ...as(a), body: ITEMS })).status).toBe(
      200,
    );
    const up = await call(stack, 'POST', `${tenantPath(upper)}/tables/upper_case`, {
      ...as(a),
      body: { rows: { columns: ['id'], values: [['1']], versions: ['1'] } },
    });
    expect(up.status).toBe(202);
    expect(up.body.jobId).toContain(a.databaseId);
    expect((await waitForJob(stack, a, up.body.jobId)).body.state).toBe('completed');
    expect((await call(stack, 'GET', `${tenantPath(a)}/tables/upper_case`, as(a))).body).toMatchObject({
      rowCount: '1',
    });
  });

  it('concurrent first registrations of one table all succeed', async () => {
    const puts = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        call(stack, 'PUT', `${tenantPath(b)}/tables/raced`, {
          ...as(b),
          body: { ...ITEMS, columns: [...ITEMS.columns, { name: `extra${i % 2}`, type: 'text' }] },
        }),
      ),
    );
    expect(puts.map((p) => p.status)).toEqual(Array(8).fill(200));
    // Columns only accumulate: both definitions' extra columns are there, whichever came last.
    expect(
      (await call(stack, 'PUT', `${tenantPath(b)}/tables/raced`, { ...as(b), body: ITEMS })).body.columns
        .map((c: { name: string }) => c.name)
        .sort(),
    ).toEqual(['extra0', 'extra1', 'id', 'name', 'price']);
  });

  it('internal objects have names no tenant can register: a table named like a partition or a primary key is just a table', async () => {
    const stem = createHash('md5').update('items').digest('hex').slice(0, 16);
    for (const name of [`rf_${stem}_p0`, `rf_${stem}_version`, 'items_pkey']) {
      expect((await call(stack, 'PUT', `${tenantPath(b)}/tables/${name}`, { ...as(b), body: ITEMS })).status).toBe(200);
      const up = await call(stack, 'POST', `${tenantPath(b)}/tables/${name}`, {
        ...as(b),
        body: { rows: { columns: ['id'], values: [['7']], versions: ['1'] } },
      });
      expect((await waitForJob(stack, b, up.body.jobId)).body.state).toBe('completed');
    }
  });

  it("a 409 never describes another tenant's schema", async () => {
    const def = {
      columns: [
        { name: 'sku', type: 'text' },
        { name: 'region', type: 'text' },
        { name: 'secret_price', type: 'numeric' },
      ],
      key: ['sku', 'region'],
    };
    expect((await call(stack, 'PUT', `${tenantPath(a)}/tables/shared_name`, { ...as(a), body: def })).status).toBe(200);
    const otherKey = await call(stack, 'PUT', `${tenantPath(b)}/tables/shared_name`, {
      ...as(b),
      body: { columns: [{ name: 'id', type: 'bigint' }], key: ['id'] },
    });
    expect(otherKey.status).toBe(409);
    expect(otherKey.body.message).toMatch(/shared by name with other databases, and its key there is not \(id\)/);
    expect(otherKey.body.message).not.toMatch(/sku|region|text/);
    const otherType = await call(stack, 'PUT', `${tenantPath(b)}/tables/shared_name`, {
      ...as(b),
      body: {
        columns: [
          { name: 'sku', type: 'text' },
          { name: 'region', type: 'text' },
          { name: 'secret_price', type: 'text' },
        ],
        key: ['sku', 'region'],
      },
    });
    expect(otherType.status).toBe(409);
    expect(otherType.body.message).toMatch(
      /column "secret_price" of table "shared_name" is shared by name with other databases, with a type other than text/,
    );
    expect(otherType.body.message).not.toMatch(/numeric/);
  });

  it("a stranger cannot tell which customers and databases exist: unknown, someone else's and a wrong secret answer alike", async () => {
    const unknown = '00000000-0000-4000-8000-00000000dead';
    const answers = await Promise.all([
      call(stack, 'GET', `${tenantPath({ customerId: unknown, databaseId: unknown })}/tables`, as(a)),
      call(stack, 'GET', `${tenantPath({ customerId: a.customerId, databaseId: unknown })}/tables`, as(a)),
      call(stack, 'GET', `${tenantPath(b)}/tables`, as(a)),
      call(stack, 'GET', `${tenantPath({ customerId: a.customerId, databaseId: b.databaseId })}/tables`, as(a)),
      call(stack, 'GET', `${tenantPath(a)}/tables`, { secret: 'rfs_wrong' }),
      call(stack, 'GET', `/v1/customers/not-a-uuid/databases/${a.databaseId}/tables`, as(a)),
    ]);
    for (const r of answers)
      expect([r.status, r.body.message]).toEqual([
        403,
        expect.stringMatching(/^this secret does not open database \S+ of customer \S+$/),
      ]);
    const enrollUnknown = await call(stack, 'POST', `/v1/customers/${unknown}/databases`, {
      secret: 'rfe_wrong',
      body: { name: 'x' },
    });
    const enrollWrongKey = await call(stack, 'POST', `/v1/customers/${a.customerId}/databases`, {
      secret: 'rfe_wrong',
      body: { name: 'x' },
    });
    expect([enrollUnknown.status, enrollWrongKey.status]).toEqual([401, 401]);
    expect(enrollUnknown.body.message.replace(unknown, 'ID')).toBe(
      enrollWrongKey.body.message.replace(a.customerId, 'ID'),
    );
  });

  it('/health tells a stranger ok or not, no more; the admin sees what it checked and how full Redis is', async () => {
    expect((await call(stack, 'GET', '/health')).body).toEqual({ status: 'ok' });
    const admin = await call(stack, 'GET', '/health', { secret: stack.adminToken });
    expect(admin.body).toMatchObject({
      status: 'ok',
      info: {
        postgres: { status: 'up' },
        redis: { status: 'up', usedMemoryBytes: expect.any(Number), evictionPolicy: expect.any(String) },
      },
    });
  });

  it('bounds databases per customer, tables per database', async () => {
    const customer = await enrollCustomer(stack, 'bounded');
    const register = () =>
      call(stack, 'POST', `/v1/customers/${customer.customerId}/databases`, {
        secret: customer.enrollmentKey,
        body: { name: 'db' },
      });
    const results = await Promise.all(Array.from({ length: 6 }, register));
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 201, 409, 409, 409]);
    expect(results.find((r) => r.status === 409)!.body.message).toMatch(
      /already has 3 databases; it may have at most 3/,
    );
    const t = {
      customerId: customer.customerId,
      databaseId: results.find((r) => r.status === 201)!.body.databaseId,
      secret: results.find((r) => r.status === 201)!.body.secret,
    };
    // A registration that waited past the lock timeout behind the others is answered 429 (retry in 2 s), as a loaded
    // machine may: retried as the agent does, the bound still holds exactly.
    const put = async (i: number) => {
      for (let attempt = 1; ; attempt++) {
        const r = await call(stack, 'PUT', `${tenantPath(t)}/tables/bounded_${i}`, { ...as(t), body: ITEMS });
        if (r.status !== 429 || attempt === 5) return r;
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    };
    const puts = await Promise.all(Array.from({ length: 9 }, (_, i) => put(i)));
    expect(puts.map((p) => p.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 409, 409, 409]);
    expect(puts.filter((p) => p.status === 409).map((p) => p.body.message)).toEqual(
      Array(3).fill(expect.stringMatching(/already has 6 tables registered; it may have at most 6/)),
    );
  });

  it('rate-limits registration changes per database with Retry-After; unchanged definitions are free', async () => {
    const t = await enroll(stack, 'ddl_rate');
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 45; i++) {
      const r = await call(stack, 'PUT', `${tenantPath(t)}/tables/growing`, {
        ...as(t),
        body: {
          columns: [...ITEMS.columns, ...Array.from({ length: i }, (_, c) => ({ name: `c${c}`, type: 'text' }))],
          key: ['id'],
        },
      });
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get('retry-after');
    }
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(40); // 20 a minute; the window may turn once
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(5);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect((await call(stack, 'PUT', `${tenantPath(a)}/tables/items`, { ...as(a), body: ITEMS })).status).toBe(200); // another database is not limited
  });

  it("DDL waits at most its lock timeout for a shared table, answers 429, and leaves other tenants' writes alone", async () => {
    const holder = new pg.Client({ connectionString: stack.databaseUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT count(*) FROM rowferry_data.items'); // holds a lock the ALTER must wait for
      const started = Date.now();
      const r = await call(stack, 'PUT', `${tenantPath(a)}/tables/items`, {
        ...as(a),
        body: { ...ITEMS, columns: [...ITEMS.columns, { name: 'colour', type: 'text' }] },
      });
      expect([r.status, r.body.message]).toEqual([
        429,
        expect.stringMatching(/the shared table "items" is busy .* retry in a few seconds/),
      ]);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    const up = await call(stack, 'POST', `${tenantPath(a)}/tables/items`, {
      ...as(a),
      body: { rows: { columns: ['id', 'name'], values: [['50'], ['after the wait']], versions: ['50'] } },
    });
    expect((await waitForJob(stack, a, up.body.jobId)).body.state).toBe('completed');
  });

  it('Bull Board can look and retry, but not add or edit a job', async () => {
    const board = { authorization: `Basic ${Buffer.from(`ops:${BOARD_PASSWORD}`).toString('base64')}` };
    expect((await call(stack, 'GET', '/admin/queues/api/queues', { headers: board })).status).toBe(200);
    const before = await snapshotOf(stack, b.databaseId);
    const forged = forgedUpload(b);
    const add = await call(stack, 'POST', '/admin/queues/api/queues/upload/add', {
      headers: board,
      body: { name: 'forged', data: forged },
    });
    expect([add.status, add.body.message]).toEqual([405, expect.stringMatching(/read-only here, but for retries/)]);
    for (const [method, path] of [
      ['PATCH', '/admin/queues/api/queues/upload/1/update-data'],
      ['PUT', '/admin/queues/api/queues/upload/clean/failed'],
      ['PUT', '/admin/queues/api/queues/upload/empty'],
      ['PUT', '/admin/queues/api/queues/upload/pause'],
    ])
      expect((await call(stack, method, path, { headers: board, body: {} })).status).toBe(405);
    expect(await snapshotOf(stack, b.databaseId)).toEqual(before);
  });

  it('a job put into Redis by anyone but the API is refused by the workers, and writes nothing', async () => {
    const before = await snapshotOf(stack, b.databaseId);
    const queue = new Queue('upload', { connection: redisConnection(), prefix: stack.env.QUEUE_PREFIX });
    try {
      const forged = forgedUpload(b);
      const jobs = [
        await queue.add('forged', forged, { attempts: 3 }),
        await queue.add('forged-signature', { ...forged, signature: 'ab'.repeat(32) }, { attempts: 3 }),
        await queue.add(
          'forged-seal',
          { tenant: forged.tenant, table: forged.table, sealed: JSON.stringify(forged), signature: 'ab'.repeat(32) },
          { attempts: 3 },
        ),
      ];
      for (const job of jobs) {
        const deadline = Date.now() + 20_000;
        while (!(await job.isFailed()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        const failed = await Queue.prototype.getJob.call(queue, job.id!);
        expect(failed?.failedReason).toMatch(/refused: this job was not made by the rowferry API/);
        expect(failed?.attemptsMade).toBe(1); // refused at once, not retried
      }
    } finally {
      await queue.close();
    }
    expect(await snapshotOf(stack, b.databaseId)).toEqual(before);
  });

  it('case variants of an id are one database for the job ids it hands out', async () => {
    const up = await call(stack, 'POST', `${tenantPath(a)}/tables/items`, {
      ...as(a),
      body: { rows: { columns: ['id'], values: [['60']], versions: ['60'] } },
    });
    for (const id of spellings(a.databaseId))
      expect(
        (await call(stack, 'GET', `${tenantPath({ ...a, databaseId: id })}/jobs/${up.body.jobId}`, as(a))).status,
      ).toBe(200);
  });
});

/** An upload job into tenant `b`'s table, as someone other than the API would forge it. */
function forgedUpload(b: Tenant) {
  return {
    tenant: { customerId: b.customerId, databaseId: b.databaseId },
    table: 'raced',
    key: [ITEMS.columns[0]],
    columns: [ITEMS.columns[0]],
    rows: { columns: ['id'], values: [['666']], versions: ['666'] },
    bytes: 1,
  };
}

/** The strings "1" to "n": a large batch's ids and versions. */
function ids(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(i + 1));
}
