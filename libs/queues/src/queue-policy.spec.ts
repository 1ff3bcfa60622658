import { JOB_NAMES } from '#contracts';
import {
  drainWorkers,
  fairPriority,
  jobOptions,
  LOWEST_PRIORITY,
  QUEUE_POLICY,
  workerOptions,
} from './queue-policy.js';

describe('the queue policy', () => {
  const retention = { completedSeconds: 300, failedDays: 7 };

  it('covers every queue of the job map with sane numbers', () => {
    for (const name of JOB_NAMES) {
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

  it('drains by closing every worker and waiting for all of them', async () => {
    const closed: number[] = [];
    const worker = (n: number, ms: number) => ({
      close: () => new Promise<void>((r) => setTimeout(() => (closed.push(n), r()), ms)),
    });
    await drainWorkers([worker(1, 30), worker(2, 1), worker(3, 10)]);
    expect(closed).toEqual([2, 3, 1]);
  });
});
