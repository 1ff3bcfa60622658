import { QUEUE_NAMES, type JobMap, type UploadJob } from '#contracts';
import {
  drainWorkers,
  EXPRESS_MAX_ROWS,
  fairPriority,
  jobOptions,
  LOWEST_PRIORITY,
  jobSlots,
  QUEUE_POLICY,
  queueFor,
  workerOptions,
} from './queue-policy.js';

describe('the queue policy', () => {
  const retention = { completedSeconds: 300, failedDays: 7 };

  it('covers every queue with sane numbers', () => {
    for (const name of QUEUE_NAMES) {
      const p = QUEUE_POLICY[name];
      expect(p.concurrency).toBeGreaterThan(0);
      expect(p.attempts).toBeGreaterThan(1);
      expect(p.backoffMs).toBeGreaterThan(0);
      expect(workerOptions(name)).toEqual({ concurrency: p.concurrency });
    }
  });

  it('retries with jittered exponential backoff and keeps jobs by count and by age', () => {
    expect(jobOptions('upload', retention, 1)).toEqual({
      priority: 1,
      attempts: QUEUE_POLICY.upload.attempts,
      backoff: { type: 'exponential', delay: QUEUE_POLICY.upload.backoffMs, jitter: 0.5 },
      removeOnComplete: { count: QUEUE_POLICY.upload.keepCompleted, age: 300 },
      removeOnFail: { count: QUEUE_POLICY.upload.keepFailed, age: 604_800 },
    });
    expect(jobOptions('range-hash', { completedSeconds: 5, failedDays: 0.5 }, 3)).toMatchObject({
      attempts: QUEUE_POLICY['range-hash'].attempts,
      removeOnComplete: { age: 5 },
      removeOnFail: { age: 43_200 },
    });
  });

  it.each([
    [1, 1],
    [2, 2],
    [64, 64],
    [0, 1], // 0 would mean "no priority" to BullMQ: the job would jump every queue of priorities
    [LOWEST_PRIORITY, LOWEST_PRIORITY],
    [LOWEST_PRIORITY + 10, LOWEST_PRIORITY],
  ])('gives a database its nth job in flight priority n, within BullMQ bounds (%i → %i)', (inFlight, priority) => {
    expect(fairPriority(inFlight)).toBe(priority);
  });

  const rows = (n: number) => ({ columns: ['id'], values: [[]], versions: Array.from({ length: n }, String) });
  const uploadOf = (n: number, over: Partial<UploadJob> = {}): UploadJob =>
    ({ rows: rows(n), ...over }) as unknown as UploadJob;

  it.each([
    ['5 rows', uploadOf(5), 'upload-express'],
    ['no rows', uploadOf(0), 'upload-express'],
    ['the limit', uploadOf(EXPRESS_MAX_ROWS), 'upload-express'],
    ['one row past it', uploadOf(EXPRESS_MAX_ROWS + 1), 'upload'],
    ['deleted keys counted', uploadOf(EXPRESS_MAX_ROWS, { deletes: { keys: [[]], versions: ['1'] } }), 'upload'],
    ['refused rows counted', uploadOf(EXPRESS_MAX_ROWS, { refused: { rows: rows(1), reasons: ['x'] } }), 'upload'],
  ])('sends an upload of %s to the right lane', (_, job, queue) => {
    expect(queueFor('upload', job)).toBe(queue);
  });

  it('sends every other job to its own queue, whatever its size', () => {
    const data = {} as JobMap['delete']['data'];
    expect(queueFor('delete', data)).toBe('delete');
    expect(queueFor('manifest-check', {} as JobMap['manifest-check']['data'])).toBe('manifest-check');
    expect(queueFor('range-hash', {} as JobMap['range-hash']['data'])).toBe('range-hash');
  });

  it('counts the jobs a worker runs at once over every queue, the express lane included', () => {
    expect(jobSlots()).toBe(11);
  });

  it('drains by closing every worker and waiting for all of them', async () => {
    const closed: number[] = [];
    const worker = (n: number, ms: number) => ({
      close: () => new Promise<void>((r) => setTimeout(() => (closed.push(n), r()), ms)),
    });
    await drainWorkers([worker(1, 30), worker(2, 1), worker(3, 10)]);
    expect(closed).toEqual([2, 3, 1]);
  });
});
