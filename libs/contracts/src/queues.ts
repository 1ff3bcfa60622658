import type { QueueName } from './jobs.js';

export interface QueueSettings {
  /** Concurrent jobs per worker process. */
  concurrency: number;
  attempts: number;
  /** First retry delay; doubles each attempt, with jitter so retries of many jobs spread out. */
  backoffMs: number;
  /** Completed jobs kept for status look-ups, at most (their age limit is the API's JOBS_KEEP_COMPLETED_SECONDS). */
  keepCompleted: { count: number };
  /** Failed jobs kept for ops to inspect and retry, at most (their age limit is JOBS_KEEP_FAILED_DAYS). */
  keepFailed: { count: number };
}

/** Every queue must have settings: a queue added to JobMap without an entry here does not compile. */
export const QUEUE_SETTINGS: Record<QueueName, QueueSettings> = {
  upload: {
    concurrency: 2,
    attempts: 8,
    backoffMs: 500,
    keepCompleted: { count: 10_000 },
    keepFailed: { count: 10_000 },
  },
  delete: {
    concurrency: 2,
    attempts: 8,
    backoffMs: 500,
    keepCompleted: { count: 10_000 },
    keepFailed: { count: 10_000 },
  },
  'manifest-check': {
    concurrency: 2,
    attempts: 5,
    backoffMs: 500,
    keepCompleted: { count: 10_000 },
    keepFailed: { count: 10_000 },
  },
  // Read-only and small: answers quickly, so the difference check's bisection takes few round trips.
  'range-hash': {
    concurrency: 4,
    attempts: 5,
    backoffMs: 500,
    keepCompleted: { count: 10_000 },
    keepFailed: { count: 10_000 },
  },
};

/** The hash tag keeps every key of a queue in one Redis Cluster slot (without it BullMQ fails with CROSSSLOT). */
export const QUEUE_PREFIX = '{rowferry}';

/**
 * A job id as the API hands it out: `<queue>.<database id>.<uuid>`; the BullMQ job id is `<database id>.<uuid>`,
 * so whose job it is can be checked without loading the job (whose data can be megabytes).
 */
export function publicJobId(queue: QueueName, bullId: string): string {
  return `${queue}.${bullId}`;
}

export function newBullJobId(databaseId: string, uuid: string): string {
  return `${databaseId}.${uuid}`;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const PUBLIC_JOB_ID = new RegExp(`^([a-z-]+)\\.((${UUID})\\.${UUID})$`);

export function parsePublicJobId(jobId: string): { queue: QueueName; bullId: string; databaseId: string } | undefined {
  const m = PUBLIC_JOB_ID.exec(jobId);
  if (!m || !Object.hasOwn(QUEUE_SETTINGS, m[1])) return undefined; // not `in`: "constructor" is not a queue
  return { queue: m[1] as QueueName, bullId: m[2], databaseId: m[3] };
}
