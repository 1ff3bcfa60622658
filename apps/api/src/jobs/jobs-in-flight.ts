import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { TenantRef } from '#contracts';
import { queuePrefix } from '#queues';
import { TooManyRequestsException } from '../common/too-many-requests.js';
import type { ApiConfig } from '../config.js';
import { JobQueues } from './job-queues.js';
import { API_CONFIG, REDIS } from '../tokens.js';

/**
 * The jobs not yet finished, in Redis: per database (the fair share) and per table (so the version GET can say
 * whether anything is pending). Finished jobs leave when their status is read, or lazily, on the next look.
 */
@Injectable()
export class JobsInFlight {
  constructor(
    private readonly queues: JobQueues,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /**
   * Fair share (docs/sync-model.md, Bounded work and fair share): one database's initial load of millions of rows must
   * not starve other tenants' small changes, so each database may have at most TENANT_MAX_JOBS jobs waiting or running;
   * beyond that the API answers 429 with Retry-After and the agent backs off. The check and the add are one Redis
   * script, so parallel requests cannot overshoot; finished jobs leave the count lazily, when it looks full. Returns
   * the database's jobs in flight, this one included.
   */
  async admit(tenant: TenantRef, table: string, publicId: string): Promise<number> {
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

  /** A finished job leaves at once (the agent polls every job it sends), which keeps the next jobs' priorities true. */
  async leave(tenant: TenantRef, table: string, publicId: string): Promise<void> {
    await this.redis.multi().srem(tenantKey(tenant), publicId).srem(pendingKey(tenant, table), publicId).exec();
  }

  async pendingJobs(tenant: TenantRef, table: string): Promise<number> {
    return this.unfinished(pendingKey(tenant, table));
  }

  /** Jobs in a set that are not finished; finished ones leave the set as they are seen. */
  private async unfinished(key: string): Promise<number> {
    const members = await this.redis.smembers(key);
    let pending = 0;
    for (const publicId of members) {
      const state = await this.queues.state(publicId);
      if (state === 'completed' || state === 'failed' || state === 'unknown') await this.redis.srem(key, publicId);
      else pending++;
    }
    return pending;
  }
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
