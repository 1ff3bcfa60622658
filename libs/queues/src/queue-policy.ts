import type { JobsOptions, Worker } from 'bullmq';
import type { JobMap, JobName, QueueName, UploadJob } from '#contracts';

/**
 * Queue policy, all of it: how many jobs of each queue a worker runs at once, how a failed attempt is retried, how
 * long finished jobs are kept, in which order waiting jobs run, and how a worker shuts down. The API applies it when
 * it adds a job (`jobOptions`), the workers when they consume (`workerOptions`, `drainWorkers`).
 */

// ---- Per queue --------------------------------------------------------------------------------------------------

export interface QueuePolicy {
  /** Jobs of this queue one worker process runs at once. */
  concurrency: number;
  /** Attempts in all; a refused statement (a bad row, a bad request) fails at once whatever this says. */
  attempts: number;
  /** First retry delay; doubles each attempt, with jitter so retries of many jobs spread out. */
  backoffMs: number;
  /** Finished jobs kept at most, whatever their age: completed ones for status look-ups, failed ones for ops. */
  keepCompleted: number;
  keepFailed: number;
}

/** A queue added to the job map without a policy here does not compile. */
export const QUEUE_POLICY: Record<QueueName, QueuePolicy> = {
  upload: { concurrency: 2, attempts: 8, backoffMs: 500, keepCompleted: 10_000, keepFailed: 10_000 },
  // A slot of every worker that large uploads never hold (see queueFor).
  'upload-express': { concurrency: 1, attempts: 8, backoffMs: 500, keepCompleted: 10_000, keepFailed: 10_000 },
  delete: { concurrency: 2, attempts: 8, backoffMs: 500, keepCompleted: 10_000, keepFailed: 10_000 },
  'manifest-check': { concurrency: 2, attempts: 5, backoffMs: 500, keepCompleted: 10_000, keepFailed: 10_000 },
  // Read-only and small: answers quickly, so the difference check's bisection takes few round trips.
  'range-hash': { concurrency: 4, attempts: 5, backoffMs: 500, keepCompleted: 10_000, keepFailed: 10_000 },
};

// ---- Retention --------------------------------------------------------------------------------------------------

/**
 * How long finished jobs stay in Redis (settings of the API, which adds the jobs). Jobs carry customer rows and Redis
 * keeps them in memory with no eviction: failed jobs stay long enough for ops to inspect and retry them, completed
 * ones only long enough for the agent to read their result.
 */
export interface Retention {
  completedSeconds: number;
  failedDays: number;
}

// ---- Order ------------------------------------------------------------------------------------------------------

/** BullMQ's lowest priority (lower numbers run first). */
export const LOWEST_PRIORITY = 2_097_152;

/**
 * Fair queuing with BullMQ's own priorities: a database's nth job in flight gets priority n, so a small tenant's one
 * change overtakes a big tenant's backlog instead of waiting behind it.
 */
export function fairPriority(jobsInFlight: number): number {
  return Math.min(Math.max(jobsInFlight, 1), LOWEST_PRIORITY);
}

// ---- Lanes -------------------------------------------------------------------------------------------------------

/** Uploads of at most this many rows (deleted keys and refused rows counted) take the express lane. */
export const EXPRESS_MAX_ROWS = 1_000;

/**
 * The queue a job goes to. Priorities order the jobs that wait, but cannot stop a flood's batches from holding every
 * worker slot, and a small tenant's change of five rows would wait for one of them to finish. So small uploads have
 * their own queue, with a slot in every worker: they wait only for each other (still in fair-share order), and a
 * flood of small uploads is bounded like any other by the fair share. Large uploads keep the other slots to
 * themselves; every other job has its own queue already.
 */
export function queueFor<N extends JobName>(name: N, data: JobMap[N]['data']): QueueName {
  if (name !== 'upload') return name;
  const { rows, deletes, refused } = data as UploadJob;
  const size = rows.versions.length + (deletes?.versions.length ?? 0) + (refused?.rows.versions.length ?? 0);
  return size <= EXPRESS_MAX_ROWS ? 'upload-express' : 'upload';
}

// ---- Adding a job -----------------------------------------------------------------------------------------------

export function jobOptions(queue: QueueName, retention: Retention, jobsInFlight: number): JobsOptions {
  const p = QUEUE_POLICY[queue];
  return {
    priority: fairPriority(jobsInFlight),
    attempts: p.attempts,
    backoff: { type: 'exponential', delay: p.backoffMs, jitter: 0.5 },
    removeOnComplete: { count: p.keepCompleted, age: retention.completedSeconds },
    removeOnFail: { count: p.keepFailed, age: Math.round(retention.failedDays * 86_400) },
  };
}

// ---- Consuming and shutting down --------------------------------------------------------------------------------

export function workerOptions(queue: QueueName): { concurrency: number } {
  return { concurrency: QUEUE_POLICY[queue].concurrency };
}

/** Jobs one worker process runs at once, all queues together. */
export function jobSlots(): number {
  return Object.values(QUEUE_POLICY).reduce((n, p) => n + p.concurrency, 0);
}

/**
 * Shutdown: workers stop taking jobs and the active ones run to their end, so no job is cut off half-applied (each
 * runs in one transaction, so even a kill only rolls it back; BullMQ then finds it stalled and runs it again).
 */
export async function drainWorkers(workers: Pick<Worker, 'close'>[]): Promise<void> {
  await Promise.all(workers.map((w) => w.close()));
}
