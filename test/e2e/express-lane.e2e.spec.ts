import pg from 'pg';
import { EXPRESS_MAX_ROWS } from '#queues';
import { startStack, type Stack } from '../../scripts/lib/stack.js';
import { call, enroll, ITEMS, tenantPath, waitForJob, type Tenant } from '../security/support.js';

/**
 * The express lane (queueFor): while one tenant's large uploads hold every slot the worker has for them, another
 * tenant's small change still runs at once. The large uploads are held for real, by a lock on their table.
 */
describe('the express lane', () => {
  let stack: Stack;
  let busy: Tenant;
  let quiet: Tenant;
  const upload = (t: Tenant, table: string, from: number, rows: number) => {
    const ids = Array.from({ length: rows }, (_, i) => String(from + i));
    return call(stack, 'POST', `${tenantPath(t)}/tables/${table}`, {
      secret: t.secret,
      body: { rows: { columns: ['id'], values: [ids], versions: ids } },
    });
  };

  beforeAll(async () => {
    stack = await startStack('express_lane', 1);
    busy = await enroll(stack, 'busy');
    quiet = await enroll(stack, 'quiet');
    for (const [t, table] of [
      [busy, 'big'],
      [quiet, 'items'],
    ] as const)
      expect(
        (await call(stack, 'PUT', `${tenantPath(t)}/tables/${table}`, { secret: t.secret, body: ITEMS })).status,
      ).toBe(200);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("runs a small change at once while large uploads hold the worker's other slots", async () => {
    const lock = new pg.Client({ connectionString: stack.databaseUrl });
    const probe = new pg.Client({ connectionString: stack.databaseUrl });
    await Promise.all([lock.connect(), probe.connect()]);
    try {
      await lock.query('BEGIN');
      await lock.query('LOCK TABLE rowferry_data.big IN EXCLUSIVE MODE');
      const large = [];
      for (let i = 0; i < 3; i++) {
        const r = await upload(busy, 'big', 1 + i * 2000, EXPRESS_MAX_ROWS + 1);
        expect(r.status).toBe(202);
        expect(r.body.jobId).toMatch(/^upload\./);
        large.push(r.body.jobId as string);
      }
      // Both of the worker's large-upload slots are taken by jobs waiting for the lock, the third waits its turn.
      const deadline = Date.now() + 10_000;
      let active = 0;
      while (active < 2 && Date.now() < deadline) {
        // Not on the lock's connection: inside a transaction, pg_stat_activity is read once and kept.
        const { rows } = await probe.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%big%'`,
        );
        active = rows[0].n;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(active).toBe(2);

      const small = await upload(quiet, 'items', 1, 5);
      expect(small.body.jobId).toMatch(/^upload-express\./);
      const t0 = Date.now();
      expect((await waitForJob(stack, quiet, small.body.jobId)).body).toMatchObject({
        state: 'completed',
        result: { applied: 5 },
      });
      expect(Date.now() - t0).toBeLessThan(5000);
      for (const id of large)
        expect(
          (await call(stack, 'GET', `${tenantPath(busy)}/jobs/${id}`, { secret: busy.secret })).body.state,
        ).toMatch(/^(active|waiting)$/);

      await lock.query('COMMIT');
      for (const id of large) expect((await waitForJob(stack, busy, id)).body.state).toBe('completed');
    } finally {
      await Promise.all([lock.end(), probe.end()]);
    }
  });
});

/** A worker deployed for the express lane alone (WORKER_QUEUES) runs every small upload; the others run the rest. */
describe('a worker for the express lane alone', () => {
  let stack: Stack;
  let tenant: Tenant;

  beforeAll(async () => {
    stack = await startStack('express_worker', 2, {
      workerEnv: (n) => ({ WORKER_QUEUES: n === 0 ? 'upload-express' : 'upload,delete,manifest-check,range-hash' }),
    });
    tenant = await enroll(stack, 'both');
    expect(
      (await call(stack, 'PUT', `${tenantPath(tenant)}/tables/items`, { secret: tenant.secret, body: ITEMS })).status,
    ).toBe(200);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('takes the small uploads, and the other worker the large ones, both applied', async () => {
    const send = async (from: number, rows: number) => {
      const ids = Array.from({ length: rows }, (_, i) => String(from + i));
      const r = await call(stack, 'POST', `${tenantPath(tenant)}/tables/items`, {
        secret: tenant.secret,
        body: { rows: { columns: ['id'], values: [ids], versions: ids } },
      });
      expect(r.status).toBe(202);
      return (await waitForJob(stack, tenant, r.body.jobId as string)).body.state as string;
    };
    expect(await send(1, 5)).toBe('completed');
    expect(await send(100, EXPRESS_MAX_ROWS + 1)).toBe('completed');
    expect(await send(10, 5)).toBe('completed');
    const counts = await Promise.all(
      stack.workerOpsUrls.map(async (url) => {
        const text = await (
          await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${stack.metricsToken}` } })
        ).text();
        const count = (queue: string) =>
          Number(
            new RegExp(`^rowferry_jobs_total\\{queue="${queue}",outcome="completed"[^}]*\\} (\\d+)`, 'm').exec(
              text,
            )?.[1] ?? 0,
          );
        return { express: count('upload-express'), large: count('upload') };
      }),
    );
    expect(counts).toEqual([
      { express: 2, large: 0 },
      { express: 0, large: 1 },
    ]);
    const remote = new pg.Client({ connectionString: stack.databaseUrl });
    await remote.connect();
    try {
      const { rows } = await remote.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM rowferry_data.items WHERE _rf_database = $1',
        [tenant.databaseId],
      );
      expect(rows[0].n).toBe(10 + EXPRESS_MAX_ROWS + 1);
    } finally {
      await remote.end();
    }
  });
});
