import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { queuePrefix } from '#persistence';
import { randomUUID } from 'node:crypto';
import { parsePublicJobId, publicJobId, QUEUE_SETTINGS, type JobMap, type JobName, type JobStatus, type QueueName, type TenantRef } from '#contracts';

/**
 * The producer side of the job map. Besides enqueuing, it keeps per table the set of its jobs not yet finished,
 * so the version GET can say whether anything is pending; finished jobs leave the set lazily, on the next look.
 */
export const REDIS = Symbol('REDIS');

@Injectable()
export class JobQueueService implements OnApplicationShutdown {
  private readonly queues: Record<QueueName, Queue>;

  constructor(
    @InjectQueue('upload') upload: Queue,
    @InjectQueue('delete') del: Queue,
    @InjectQueue('manifest-check') manifestCheck: Queue,
    @Inject(REDIS) private readonly redis: Redis,
  ) {
    this.queues = { upload, delete: del, 'manifest-check': manifestCheck };
  }

  async enqueue<N extends JobName>(name: N, data: JobMap[N]['data']): Promise<string> {
    const s = QUEUE_SETTINGS[name];
    const id = randomUUID();
    const publicId = publicJobId(name, id);
    const queue = this.queues[name];
    // Pending before it exists, so no GET can see the table idle while the job is on its way.
    await this.redis.sadd(pendingKey(data.tenant, data.table), publicId);
    await queue.add(name, data, {
      jobId: id,
      attempts: s.attempts,
      backoff: { type: 'exponential', delay: s.backoffMs, jitter: 0.5 },
      removeOnComplete: { count: s.keepCompleted.count, age: s.keepCompleted.ageSeconds },
      removeOnFail: { count: s.keepFailed.count, age: s.keepFailed.ageSeconds },
    });
    return publicId;
  }

  async pendingJobs(tenant: TenantRef, table: string): Promise<number> {
    const redis = this.redis;
    const key = pendingKey(tenant, table);
    const members = await redis.smembers(key);
    let pending = 0;
    for (const publicId of members) {
      const state = await this.state(publicId);
      if (state === 'waiting' || state === 'active' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children') pending++;
      else await redis.srem(key, publicId);
    }
    return pending;
  }

  /** A job's status, only if it belongs to this tenant; otherwise undefined, as if it did not exist. */
  async status(tenant: TenantRef, publicId: string): Promise<JobStatus | undefined> {
    const ref = parsePublicJobId(publicId);
    if (!ref) return undefined;
    // State first: a job read before its state could be seen completed without its result.
    const queue = this.queues[ref.queue];
    const state = await queue.getJobState(ref.id);
    const job = await queue.getJob(ref.id);
    if (!job || job.data.tenant.databaseId !== tenant.databaseId) return undefined;
    return {
      jobId: publicId,
      state: state === 'prioritized' || state === 'waiting-children' ? 'waiting' : (state as JobStatus['state']),
      attemptsMade: job.attemptsMade,
      ...(state === 'completed' ? { result: job.returnvalue } : {}),
      ...(job.failedReason ? { error: job.failedReason } : {}),
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit();
  }

  private async state(publicId: string): Promise<string> {
    const ref = parsePublicJobId(publicId);
    const job = ref && (await this.queues[ref.queue].getJob(ref.id));
    return job ? job.getState() : 'unknown';
  }
}

function pendingKey(tenant: TenantRef, table: string): string {
  return `${queuePrefix()}:pending:${tenant.databaseId}:${table}`;
}
