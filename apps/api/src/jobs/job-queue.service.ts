import { getQueueToken } from '@nestjs/bullmq';
import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { jobOptions, queuePrefix, type Retention } from '#queues';
import { TooManyRequestsException } from '../common/too-many-requests.js';
import { API_CONFIG, type ApiConfig } from '../config.js';
import { randomUUID } from 'node:crypto';
import {
  JOB_NAMES,
  signJob,
  type JobMap,
  type JobName,
  type JobStatus,
  type QueueName,
  type TenantRef,
} from '#contracts';
import { REDIS } from '../tokens.js';
import { newBullJobId, parsePublicJobId, publicJobId } from './job-ids.js';
import { JobWaiters } from './job-waiters.js';

/**
 * The producer side of the job map. Besides enqueuing, it keeps per table the set of its jobs not yet finished,
 * so the version GET can say whether anything is pending; finished jobs leave the set lazily, on the next look.
 */
@Injectable()
export class JobQueueService implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private queues!: Record<QueueName, Queue>;
  private readonly waiters = new JobWaiters(JOB_NAMES);
  private readonly retention: Retention;

  constructor(
    private readonly moduleRef: ModuleRef,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {
    this.retention = { completedSeconds: config.JOBS_KEEP_COMPLETED_SECONDS, failedDays: config.JOBS_KEEP_FAILED_DAYS };
  }

  /** Every queue of the job map, by name: a queue added to the map is here without a line more. */
  onModuleInit(): void {
    this.queues = Object.fromEntries(
      JOB_NAMES.map((name) => [name, this.moduleRef.get<Queue>(getQueueToken(name), { strict: false })]),
    ) as Record<QueueName, Queue>;
  }

  async enqueue<N extends JobName>(name: N, data: JobMap[N]['data']): Promise<string> {
    const id = newBullJobId(data.tenant.databaseId, randomUUID());
    const publicId = publicJobId(name, id);
    const queue = this.queues[name];
    // Counted (and pending) before it exists, so no GET can see the table idle while the job is on its way.
    const inFlight = await this.admit(data.tenant, data.table, publicId);
    await queue.add(describeJob(name, data), signJob(data, this.config.JOB_SIGNING_KEY), {
      jobId: id,
      ...jobOptions(name, this.retention, inFlight),
    });
    return publicId;
  }

  /**
   * Fair share (docs/sync-model.md, Bounded work and fair share): one database's initial load of millions of rows must
   * not starve other tenants' small changes, so each database may have at most TENANT_MAX_JOBS jobs waiting or running;
   * beyond that the API answers 429 with Retry-After and the agent backs off. The check and the add are one Redis
   * script, so parallel requests cannot overshoot; finished jobs leave the count lazily, when it looks full. Returns
   * the database's jobs in flight, this one included.
   */
  private async admit(tenant: TenantRef, table: string, publicId: string): Promise<number> {
    const limit = this.config.TENANT_MAX_JOBS;
    const add = async () =>
      Number(await this.redis.eval(ADMIT, 2, tenantKey(tenant), pendingKey(tenant, table), limit, publicId));
    const first = await add();
    if (first > 0) return first;
    await this.unfinished(tenantKey(tenant));
    const second = await add();
    if (second > 0) return second;
    throw new TooManyRequestsException(
      `database ${tenant.databaseId} already has ${limit} jobs waiting or running; retry later`,
      2,
    );
  }

  async pendingJobs(tenant: TenantRef, table: string): Promise<number> {
    return this.unfinished(pendingKey(tenant, table));
  }

  /** Jobs in a set that are not finished; finished ones leave the set as they are seen. */
  private async unfinished(key: string): Promise<number> {
    const members = await this.redis.smembers(key);
    let pending = 0;
    for (const publicId of members) {
      const state = await this.state(publicId);
      if (state === 'completed' || state === 'failed' || state === 'unknown') await this.redis.srem(key, publicId);
      else pending++;
    }
    return pending;
  }

  /**
   * A job's status, only if it belongs to this tenant; otherwise undefined, as if it did not exist. Agents poll this,
   * so the job itself (with its rows) is loaded only once it has finished, for its result or error. With `waitMs`,
   * a job not yet finished is waited for up to that long (a long poll).
   */
  async status(tenant: TenantRef, publicId: string, waitMs = 0): Promise<JobStatus | undefined> {
    const ref = parsePublicJobId(publicId);
    if (!ref || ref.databaseId !== tenant.databaseId) return undefined;
    const queue = this.queues[ref.queue];
    const read = () => queue.getJobState(ref.bullId);
    const state = waitMs > 0 ? await this.waiters.stateAfterWaiting(ref.bullId, waitMs, read) : await read();
    if (state === 'unknown') return undefined;
    if (state !== 'completed' && state !== 'failed')
      return {
        jobId: publicId,
        state: state === 'prioritized' || state === 'waiting-children' ? 'waiting' : state,
        attemptsMade: 0,
      };
    const job = await queue.getJob(ref.bullId);
    if (!job) return undefined;
    // Finished: it leaves the in-flight count now (the agent polls every job it sends), which keeps the priorities of
    // the next jobs true; a job nobody polls leaves lazily.
    await this.redis
      .multi()
      .srem(tenantKey(tenant), publicId)
      .srem(pendingKey(tenant, (job.data as { table: string }).table), publicId)
      .exec();
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

  private async state(publicId: string): Promise<string> {
    const ref = parsePublicJobId(publicId);
    return ref ? this.queues[ref.queue].getJobState(ref.bullId) : 'unknown';
  }
}

/** The job's name as Bull Board shows it: enough to act on at a glance (job type, table, rows, versions, tenant). */
function describeJob<N extends JobName>(name: N, data: JobMap[N]['data']): string {
  const tenant = `database ${data.tenant.databaseId} (customer ${data.tenant.customerId})`;
  if ('rows' in data) {
    const range = data.range ? `versions (${data.range.after}, ${data.range.upTo}]` : 'repair';
    return `upload ${data.table}: ${data.rows.versions.length} rows, ${range}, ${tenant}`;
  }
  if ('request' in data) {
    const r = data.request;
    const what =
      r.mode === 'keys' ? `${r.versions.length} keys` : r.mode === 'above' ? `versions above ${r.version}` : 'all rows';
    return `delete ${data.table}: ${what}, ${tenant}`;
  }
  const ranges =
    data.ranges.length === 1
      ? `versions (${data.ranges[0].after}, ${data.ranges[0].upTo}]`
      : `${data.ranges.length} version ranges`;
  if ('keys' in data) return `manifest-check ${data.table}: ${ranges}, ${data.keys.length} keys, ${tenant}`;
  return `range-hash ${data.table}: ${ranges}, ${tenant}`;
}

/**
 * Adds a job to its database's in-flight set and its table's pending set if the former is below the limit, and
 * answers the set's size after (0: refused).
 */
const ADMIT = `
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[2])
return redis.call('SCARD', KEYS[1])`;

function tenantKey(tenant: TenantRef): string {
  return `${queuePrefix()}:jobs:${tenant.databaseId}`;
}

function pendingKey(tenant: TenantRef, table: string): string {
  return `${queuePrefix()}:pending:${tenant.databaseId}:${table}`;
}
