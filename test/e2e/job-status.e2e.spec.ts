import { Queue } from 'bullmq';
import { DROPPED_JOB_DATA } from '#contracts';
import { redisConnection } from '#queues';
import { startStack, type Stack } from '../../scripts/lib/stack.js';
import { call, enroll, ITEMS, tenantPath, type Tenant } from '../security/support.js';

/** GET …/jobs/{id}?waitMs= answers when the job finishes (a long poll), after waitMs at the latest, and at shutdown. */
describe('job status long polls', () => {
  let stack: Stack;
  let queue: Queue;
  let t: Tenant;
  const jobs = (jobId: string, query = '') =>
    call(stack, 'GET', `${tenantPath(t)}/jobs/${jobId}${query}`, { secret: t.secret });
  const upload = async (id: string) => {
    const r = await call(stack, 'POST', `${tenantPath(t)}/tables/items`, {
      secret: t.secret,
      body: { rows: { columns: ['id'], values: [[id]], versions: [id] } },
    });
    expect(r.status).toBe(202);
    return r.body.jobId as string;
  };
  const timed = async <T>(work: Promise<T>): Promise<[T, number]> => {
    const t0 = Date.now();
    return [await work, Date.now() - t0];
  };

  beforeAll(async () => {
    stack = await startStack('job_status', 1);
    queue = new Queue('upload-express', { connection: redisConnection(), prefix: stack.env.QUEUE_PREFIX });
    t = await enroll(stack, 'long-poll');
    expect((await call(stack, 'PUT', `${tenantPath(t)}/tables/items`, { secret: t.secret, body: ITEMS })).status).toBe(
      200,
    );
  });
  afterAll(async () => {
    await queue?.resume();
    await queue?.close();
    await stack?.stop();
  });

  it('answers as soon as the job finishes, in one request', async () => {
    await queue.pause();
    const jobId = await upload('1');
    const waiting = jobs(jobId, '?waitMs=10000');
    await new Promise((r) => setTimeout(r, 300));
    const resumed = Date.now();
    await queue.resume();
    const answer = await waiting;
    expect(answer.body).toMatchObject({ state: 'completed', result: { applied: 1 } });
    expect(Date.now() - resumed).toBeLessThan(5000);
  });

  it("drops a completed job's rows from Redis once its result is read, and answers a second read the same", async () => {
    const jobId = await upload('7');
    const first = await jobs(jobId, '?waitMs=10000');
    expect(first.body).toMatchObject({ state: 'completed', result: { applied: 1 } });
    const job = await queue.getJob(jobId.slice('upload-express.'.length));
    expect(job?.data).toEqual(DROPPED_JOB_DATA);
    expect(job?.returnvalue).toMatchObject({ applied: 1 });
    expect((await jobs(jobId)).body).toEqual(first.body);
  });

  it('answers a failed job with its error and attempts, read without loading its rows', async () => {
    const r = await call(stack, 'POST', `${tenantPath(t)}/tables/items`, {
      secret: t.secret,
      body: { rows: { columns: ['id'], values: [['9']], versions: ['9'] }, timeline: '12345' },
    });
    expect(r.status).toBe(202);
    const answer = await jobs(r.body.jobId as string, '?waitMs=10000');
    expect(answer.body).toMatchObject({ state: 'failed', attemptsMade: 1 });
    expect(answer.body.error).toMatch(/timeline/);
    expect(answer.body.result).toBeUndefined();
  });

  it('answers with the state as it is after waitMs when the job has not finished', async () => {
    await queue.pause();
    const jobId = await upload('2');
    const [answer, ms] = await timed(jobs(jobId, '?waitMs=700'));
    expect(answer.body.state).toBe('waiting');
    expect(ms).toBeGreaterThanOrEqual(650);
    await queue.resume();
    expect((await jobs(jobId, '?waitMs=10000')).body.state).toBe('completed');
  });

  it('answers at once for a finished job, and without waiting for an unknown one', async () => {
    const jobId = await upload('3');
    expect((await jobs(jobId, '?waitMs=10000')).body.state).toBe('completed');
    const [finished, ms] = await timed(jobs(jobId, '?waitMs=10000'));
    expect(finished.body.state).toBe('completed');
    expect(ms).toBeLessThan(2000);
    const unknown = jobId.replace(/[0-9a-f]{12}$/, '000000000000');
    const [missing, missingMs] = await timed(jobs(unknown, '?waitMs=10000'));
    expect(missing.status).toBe(404);
    expect(missingMs).toBeLessThan(2000);
  });

  it.each(['?waitMs=10001', '?waitMs=-1', '?waitMs=soon', '?waitMs=1.5'])(
    'refuses %s with a 400 naming waitMs',
    async (query) => {
      const r = await jobs(await upload('4'), query);
      expect(r.status).toBe(400);
      expect(JSON.stringify(r.body)).toContain('waitMs');
    },
  );

  it('answers a long poll at once when the API shuts down, so it does not hold the server open', async () => {
    await queue.pause();
    const jobId = await upload('5');
    const waiting = timed(jobs(jobId, '?waitMs=10000'));
    await new Promise((r) => setTimeout(r, 300));
    process.kill(stack.pids[0], 'SIGTERM');
    const [answer, ms] = await waiting;
    expect(answer.body.state).toBe('waiting');
    expect(ms).toBeLessThan(5000);
  });
});
