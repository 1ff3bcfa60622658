import { Queue } from 'bullmq';
import { redisConnection } from '#queues';
import { startStack, type Stack } from '../../scripts/lib/stack.js';
import { call, enroll, ITEMS, spellings, tenantPath, type Tenant } from './support.js';

/** A database's share of the queue is one share, however its id is spelled and however many requests race. */
describe('fair share cannot be bypassed', () => {
  let stack: Stack;
  const LIMIT = 8;
  const upload = (t: Tenant, databaseId = t.databaseId) =>
    call(stack, 'POST', `${tenantPath({ ...t, databaseId })}/tables/items`, {
      secret: t.secret,
      body: { rows: { columns: ['id'], values: [['1']], versions: ['1'] } },
    });

  beforeAll(async () => {
    // No workers: jobs stay waiting, so the share fills deterministically.
    stack = await startStack('fairshare_bypass', 0, { env: { TENANT_MAX_JOBS: String(LIMIT) } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  async function registered(name: string): Promise<Tenant> {
    const t = await enroll(stack, name);
    expect((await call(stack, 'PUT', `${tenantPath(t)}/tables/items`, { secret: t.secret, body: ITEMS })).status).toBe(
      200,
    );
    return t;
  }

  it('four spellings of one database id share one count, and every job id handed out can be polled', async () => {
    const t = await registered('spellings');
    const answers = [];
    for (const id of spellings(t.databaseId)) for (let i = 0; i < LIMIT; i++) answers.push(await upload(t, id));
    expect(answers.filter((a) => a.status === 202)).toHaveLength(LIMIT);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(3 * LIMIT);
    for (const a of answers.filter((x) => x.status === 202)) {
      expect(a.body.jobId).toContain(`.${t.databaseId}.`);
      expect((await call(stack, 'GET', `${tenantPath(t)}/jobs/${a.body.jobId}`, { secret: t.secret })).body.state).toBe(
        'waiting',
      );
    }
  });

  it('parallel requests cannot overshoot the share', async () => {
    const t = await registered('parallel');
    const answers = await Promise.all(Array.from({ length: 40 }, () => upload(t)));
    expect(answers.filter((a) => a.status === 202)).toHaveLength(LIMIT);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(40 - LIMIT);
    const info = await call(stack, 'GET', `${tenantPath(t)}/tables/items`, { secret: t.secret });
    expect(info.body.pendingJobs).toBe(LIMIT);
  });

  it("another database still gets its jobs in, ahead of the busy ones: a database's nth job in flight has priority n", async () => {
    const quiet = await registered('quiet');
    const busy = await registered('busy');
    const busyJobs = [];
    for (let i = 0; i < 5; i++) busyJobs.push((await upload(busy)).body.jobId);
    const quietJob = (await upload(quiet)).body.jobId;
    const queue = new Queue('upload-express', { connection: redisConnection(), prefix: stack.env.QUEUE_PREFIX });
    try {
      const priority = async (publicId: string) =>
        (await queue.getJob(publicId.slice('upload-express.'.length)))!.opts.priority;
      expect(await Promise.all(busyJobs.map(priority))).toEqual([1, 2, 3, 4, 5]);
      expect(await priority(quietJob)).toBe(1);
    } finally {
      await queue.close();
    }
  });
});
