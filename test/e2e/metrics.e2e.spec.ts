import { Queue } from 'bullmq';
import { redisConnection } from '#queues';
import { startStack, type Stack } from '../../scripts/lib/stack.js';
import { call, enroll, ITEMS, tenantPath, waitForJob, type Tenant } from '../security/support.js';

/** A sample's value from Prometheus' text format: the series of that name whose labels include these. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const has = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => has[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/** Prometheus metrics of the API and of each worker's ops port, and the workers' health there. */
describe('metrics and the workers’ ops port', () => {
  let stack: Stack;
  let queue: Queue;
  let t: Tenant;
  const scrape = async (base: string, token?: string) => {
    const res = await fetch(`${base}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };
  const upload = async (ids: string[]) =>
    call(stack, 'POST', `${tenantPath(t)}/tables/items`, {
      secret: t.secret,
      body: { rows: { columns: ['id'], values: [ids], versions: ids } },
    });

  beforeAll(async () => {
    stack = await startStack('metrics', 1, { env: { TENANT_MAX_JOBS: '3' } });
    queue = new Queue('upload-express', { connection: redisConnection(), prefix: stack.env.QUEUE_PREFIX });
    t = await enroll(stack, 'metrics');
    expect((await call(stack, 'PUT', `${tenantPath(t)}/tables/items`, { secret: t.secret, body: ITEMS })).status).toBe(
      200,
    );
  });
  afterAll(async () => {
    await queue?.resume();
    await queue?.close();
    await stack?.stop();
  });

  it('are scraped with their own token only: not without one, not with the admin token', async () => {
    for (const base of [stack.apiUrl, ...stack.workerOpsUrls]) {
      expect((await scrape(base)).status).toBe(401);
      expect((await scrape(base, stack.adminToken)).status).toBe(401);
      const ok = await scrape(base, stack.metricsToken);
      expect(ok.status).toBe(200);
      expect(ok.type).toMatch(/^text\/plain/);
      expect(sample(ok.text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    }
  });

  it("show the queue's depth, its oldest waiting job, the fair share's refusals, then the workers' jobs and rows", async () => {
    await queue.pause();
    const jobIds: string[] = [];
    for (const ids of [['1'], ['2', '3'], ['4']]) {
      const r = await upload(ids);
      expect(r.status).toBe(202);
      jobIds.push(r.body.jobId);
    }
    expect((await upload(['5'])).status).toBe(429); // a share of 3 in flight
    await new Promise((r) => setTimeout(r, 1200));
    const api = (await scrape(stack.apiUrl, stack.metricsToken)).text;
    expect(sample(api, 'rowferry_queue_jobs', { queue: 'upload-express', state: 'waiting' })).toBe(3);
    expect(sample(api, 'rowferry_queue_jobs', { queue: 'upload-express', state: 'active' })).toBe(0);
    expect(sample(api, 'rowferry_queue_oldest_waiting_seconds', { queue: 'upload-express' })).toBeGreaterThanOrEqual(
      1.2,
    );
    expect(sample(api, 'rowferry_queue_oldest_waiting_seconds', { queue: 'delete' })).toBe(0);
    expect(sample(api, 'rowferry_fair_share_refusals_total', { service: 'api' })).toBe(1);
    expect(sample(api, 'rowferry_redis_used_memory_bytes')).toBeGreaterThan(0);
    // Routes by their pattern: no tenant's id becomes a label.
    const route = '/v1/customers/:customerId/databases/:databaseId/tables/:table';
    expect(sample(api, 'rowferry_http_requests_total', { method: 'POST', route, status: '202' })).toBe(3);
    expect(sample(api, 'rowferry_http_requests_total', { method: 'POST', route, status: '429' })).toBe(1);
    expect(api).not.toContain(t.databaseId);

    await queue.resume();
    for (const jobId of jobIds) expect((await waitForJob(stack, t, jobId)).body.state).toBe('completed');
    const worker = (await scrape(stack.workerOpsUrls[0], stack.metricsToken)).text;
    expect(
      sample(worker, 'rowferry_jobs_total', { queue: 'upload-express', outcome: 'completed', service: 'worker' }),
    ).toBe(3);
    expect(sample(worker, 'rowferry_rows_applied_total', { table: 'items' })).toBe(4);
    expect(sample(worker, 'rowferry_batch_rows_sum', { job_type: 'upload' })).toBe(4);
    expect(sample(worker, 'rowferry_job_wait_seconds_count', { queue: 'upload-express' })).toBe(3);
    expect(sample(worker, 'rowferry_job_wait_seconds_sum', { queue: 'upload-express' })).toBeGreaterThanOrEqual(
      3 * 1.2,
    );
    expect(worker).not.toContain(t.databaseId);
  });

  it("answer the workers' health on the ops port: ok or not to anyone, what was checked to the token's holder", async () => {
    const base = stack.workerOpsUrls[0];
    const anyone = await fetch(`${base}/health`);
    expect(anyone.status).toBe(200);
    expect(await anyone.json()).toEqual({ status: 'ok' });
    const ops = await fetch(`${base}/health`, { headers: { authorization: `Bearer ${stack.metricsToken}` } });
    expect(await ops.json()).toMatchObject({
      status: 'ok',
      details: { postgres: { status: 'up' }, queues: { status: 'up' } },
    });
  });
});
