import { Inject, Injectable } from '@nestjs/common';
import type { TenantRef } from '#contracts';
import type { PendingJobs } from '#persistence';
import { queuePrefix, type RedisClient } from '#queues';
import { TooManyRequestsException } from '../common/too-many-requests.js';
import type { ApiConfig } from '../config.js';
import { ApiMetrics } from '../ops/api-metrics.js';
import { parsePublicJobId } from './job-ids.js';
import { JobQueues } from './job-queues.js';
import { API_CONFIG, REDIS } from '../tokens.js';

/**
 * The jobs not yet finished, in one Redis set per database: the fair share counts it, and the version GET reads which
 * tables have jobs pending from it (a job id names its table). Finished jobs leave when their status is read, or
 * lazily, on the next look.
 */
@Injectable()
export class JobsInFlight {
  constructor(
    private readonly queues: JobQueues,
    private readonly metrics: ApiMetrics,
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /**
   * Fair share (docs/sync-model.md, Bounded work and fair share): one database's initial load of millions of rows must
   * not starve other tenants' small changes, so each database may have at most TENANT_MAX_JOBS jobs waiting or running;
   * beyond that the API answers 429 with Retry-After and the agent backs off. The check and the add are one Redis
   * script, so parallel requests cannot overshoot; finished jobs leave the count lazily, when it looks full. Returns
   * the database's jobs in flight, this one included.
   */
  async admit(tenant: TenantRef, publicId: string): Promise<number> {
    const limit = this.config.TENANT_MAX_JOBS;
    const add = async () => Number(await this.redis.eval(ADMIT, 1, tenantKey(tenant), limit, publicId));
    const first = await add();
    if (first > 0) return first;
    await this.unfinished(tenantKey(tenant));
    const second = await add();
    if (second > 0) return second;
    this.metrics.fairShareRefused(tenant);
    throw new TooManyRequestsException(
      `database ${tenant.databaseId} already has ${limit} jobs waiting or running; retry later`,
      2,
    );
  }

  /** A finished job leaves at once (the agent polls every job it sends), which keeps the next jobs' priorities true. */
  async leave(tenant: TenantRef, publicId: string): Promise<void> {
    await this.redis.srem(tenantKey(tenant), publicId);
  }

  /**
   * Jobs waiting or running for each table, from one read of the database's set. An id made before ids named their
   * table counts for every table: the agent waits a little longer while such a job, left from before an upgrade,
   * is still in flight.
   */
  async pendingJobs(tenant: TenantRef): Promise<PendingJobs> {
    const key = tenantKey(tenant);
    const pending = new Map<string | undefined, string[]>();
    for (const publicId of await this.redis.smembers(key)) {
      const table = parsePublicJobId(publicId)?.table;
      const ids = pending.get(table) ?? [];
      ids.push(publicId);
      pending.set(table, ids);
    }
    const counts: PendingJobs = { byTable: {}, everyTable: 0 };
    for (const [table, ids] of pending) {
      const unfinished = await this.unfinished(key, ids);
      if (table === undefined) counts.everyTable = unfinished;
      else counts.byTable[table] = unfinished;
    }
    return counts;
  }

  /** Jobs in a set that are not finished; finished ones leave the set as they are seen. */
  private async unfinished(key: string, members?: string[]): Promise<number> {
    members ??= await this.redis.smembers(key);
    let pending = 0;
    for (const publicId of members) {
      const state = await this.queues.state(publicId);
      if (state === 'completed' || state === 'failed' || state === 'unknown') await this.redis.srem(key, publicId);
      else pending++;
    }
    return pending;
  }
}

/** Adds a job to its database's in-flight set if that is below the limit, and answers its size after (0: refused). */
const ADMIT = `
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[2])
return redis.call('SCARD', KEYS[1])`;

function tenantKey(tenant: TenantRef): string {
  return `${queuePrefix()}:jobs:${tenant.databaseId}`;
}
