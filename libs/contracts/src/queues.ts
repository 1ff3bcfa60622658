import type { QueueName } from './jobs.js';

export interface QueueSettings {
  /** Concurrent jobs per worker process. */
  concurrency: number;
  attempts: number;
  /** First retry delay; doubles each attempt, with jitter so retries of many jobs spread out. */
  backoffMs: number;
  /** Completed jobs kept for status look-ups (count and age). */
  keepCompleted: { count: number; ageSeconds: number };
  /** Failed jobs kept for ops to inspect and retry. */
  keepFailed: { count: number; ageSeconds: number };
}

/** Every queue must have settings: a queue added to JobMap without an entry here does not compile. */
export const QUEUE_SETTINGS: Record<QueueName, QueueSettings> = {
  upload: {
    concurrency: 2,
    attempts: 8,
    backoffMs: 500,
    keepCompleted: { count: 10_000, ageSeconds: 3600 },
    keepFailed: { count: 100_000, ageSeconds: 14 * 86400 },
  },
  delete: {
    concurrency: 2,
    attempts: 8,
    backoffMs: 500,
    keepCompleted: { count: 10_000, ageSeconds: 3600 },
    keepFailed: { count: 100_000, ageSeconds: 14 * 86400 },
  },
  'manifest-check': {
    concurrency: 2,
    attempts: 5,
    backoffMs: 500,
    keepCompleted: { count: 10_000, ageSeconds: 3600 },
    keepFailed: { count: 10_000, ageSeconds: 7 * 86400 },
  },
};

/** The hash tag keeps every key of a queue in one Redis Cluster slot (without it BullMQ fails with CROSSSLOT). */
export const QUEUE_PREFIX = '{rowferry}';

/** A job id as the API hands it out: the queue's name, a dot, a UUID (the BullMQ job id). */
export function publicJobId(queue: QueueName, id: string): string {
  return `${queue}.${id}`;
}

export function parsePublicJobId(jobId: string): { queue: QueueName; id: string } | undefined {
  const dot = jobId.indexOf('.');
  if (dot < 0) return undefined;
  const queue = jobId.slice(0, dot);
  const id = jobId.slice(dot + 1);
  if (!(queue in QUEUE_SETTINGS) || !/^[0-9a-f-]{36}$/.test(id)) return undefined;
  return { queue: queue as QueueName, id };
}
