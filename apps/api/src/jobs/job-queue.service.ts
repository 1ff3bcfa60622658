import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DROPPED_JOB_DATA, QUEUE_NAMES, type JobMap, type JobName, type JobStatus, type TenantRef } from '#contracts';
import { jobOptions, type Retention, type RedisClient } from '#queues';
import type { ApiConfig } from '../config.js';
import { newBullJobId, parsePublicJobId, publicJobId } from './job-ids.js';
import { JobQueues } from './job-queues.js';
import { JobWaiters } from './job-waiters.js';
import { JobsInFlight } from './jobs-in-flight.js';
import { readyJob, type ReadyJob } from './ready-job.js';
import { API_CONFIG, REDIS } from '../tokens.js';

/** The producer side of the job map: enqueues a tenant's job, and answers its status to that tenant only. */
@Injectable()
export class JobQueueService implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly waiters = new JobWaiters(QUEUE_NAMES);
  private readonly retention: Retention;

  constructor(
    private readonly queues: JobQueues,
    private readonly inFlight: JobsInFlight,
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {
    this.retention = { completedSeconds: config.JOBS_KEEP_COMPLETED_SECONDS, failedDays: config.JOBS_KEEP_FAILED_DAYS };
  }

  enqueue<N extends JobName>(name: N, data: JobMap[N]['data']): Promise<string> {
    return this.add(readyJob(name, data, this.config.JOB_SIGNING_KEY));
  }

  /** Enqueues a job made and sealed elsewhere (an upload, by an intake thread); returns its public id. */
  async add(job: ReadyJob): Promise<string> {
    const { tenant, table } = job.data;
    const id = newBullJobId(tenant.databaseId, table, randomUUID());
    const publicId = publicJobId(job.queue, id);
    // Counted (and pending) before it exists, so no GET can see the table idle while the job is on its way.
    const inFlight = await this.inFlight.admit(tenant, publicId);
    await this.queues.of(job.queue).add(job.description, job.data, {
      jobId: id,
      ...jobOptions(job.queue, this.retention, inFlight),
    });
    return publicId;
  }

  /**
   * A job's status, only if it belongs to this tenant; otherwise undefined, as if it did not exist. Agents poll this,
   * so the job itself (with its rows) is loaded only once it has finished, for its result or error. With `waitMs`,
   * a job not yet finished is waited for up to that long (a long poll).
   */
  async status(tenant: TenantRef, publicId: string, waitMs = 0): Promise<JobStatus | undefined> {
    const ref = parsePublicJobId(publicId);
    if (!ref || ref.databaseId !== tenant.databaseId) return undefined;
    const queue = this.queues.of(ref.queue);
    const read = () => queue.getJobState(ref.bullId);
    const state = waitMs > 0 ? await this.waiters.stateAfterWaiting(ref.bullId, waitMs, read) : await read();
    if (state === 'unknown') return undefined;
    if (state !== 'completed' && state !== 'failed')
      return {
        jobId: publicId,
        state: state === 'prioritized' || state === 'waiting-children' ? 'waiting' : state,
        attemptsMade: 0,
      };
    const job = await this.queues.finished(ref);
    if (!job) return undefined;
    await this.inFlight.leave(tenant, publicId);
    // Its rows go once its result is read: Redis then holds rows only for jobs not yet answered, a number the fair
    // share bounds, rather than every row loaded in the last JOBS_KEEP_COMPLETED_SECONDS. The job stays (name,
    // result, times) for Bull Board and for a repeated read.
    if (state === 'completed')
      await this.redis.eval(DROP_DATA, 1, queue.toKey(ref.bullId), JSON.stringify(DROPPED_JOB_DATA));
    return {
      jobId: publicId,
      state,
      attemptsMade: job.attemptsMade,
      ...(state === 'completed' ? { result: job.returnvalue } : {}),
      ...(job.failedReason ? { error: job.failedReason } : {}),
    };
  }

  /** Long polls answer before the HTTP server closes, so none holds it open. */
  beforeApplicationShutdown(): void {
    this.waiters.releaseAll();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.waiters.close(), this.redis.quit()]);
  }
}

/** Replaces the data of a job that still exists (never makes a hash for one already removed). */
const DROP_DATA = `if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'data', ARGV[1]) end return 0`;
