import { getQueueToken } from '@nestjs/bullmq';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bullmq';
import { QUEUE_JOBS, QUEUE_NAMES, type QueueName } from '#contracts';
import { REDIS } from '../tokens.js';
import { parsePublicJobId, type JobRef } from './job-ids.js';
import type { RedisClient } from '#queues';

/** The API's queues, one per job of the job map: a queue added to the map is here without a line more. */
@Injectable()
export class JobQueues implements OnModuleInit {
  private queues!: Record<QueueName, Queue>;

  constructor(
    private readonly moduleRef: ModuleRef,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {}

  onModuleInit(): void {
    this.queues = Object.fromEntries(
      QUEUE_NAMES.map((name) => [name, this.moduleRef.get<Queue>(getQueueToken(name), { strict: false })]),
    ) as Record<QueueName, Queue>;
  }

  of(name: QueueName): Queue {
    return this.queues[name];
  }

  /** A job's state by its public id ('unknown' for an id that names no job). */
  async state(publicId: string): Promise<string> {
    const ref = parsePublicJobId(publicId);
    return ref ? this.queues[ref.queue].getJobState(ref.bullId) : 'unknown';
  }

  /** The queue that holds a job of this type with this BullMQ id, if one does (a job type may have more than one). */
  async holding(jobType: string, bullId: string): Promise<QueueName | undefined> {
    for (const name of QUEUE_NAMES)
      if (QUEUE_JOBS[name] === jobType && (await this.queues[name].getJobState(bullId)) !== 'unknown') return name;
    return undefined;
  }

  /** When the oldest job still waiting to run was enqueued (ms since the epoch); undefined when none waits. */
  async oldestWaiting(name: QueueName): Promise<number | undefined> {
    const queue = this.queues[name];
    const t = await this.redis.eval(
      OLDEST_WAITING,
      2,
      queue.toKey('prioritized'),
      queue.toKey('wait'),
      queue.toKey(''),
      MAX_LEVELS,
    );
    return typeof t === 'number' ? t : undefined;
  }

  /**
   * What a status answer needs of a finished job, read from its hash without its data: BullMQ's getJob parses the
   * data (megabytes for an upload) on every poll, which cost the API more CPU than the request bodies' own parsing.
   * The field names are BullMQ 6's storage (attempts made are `atm`; `attemptsMade` in jobs older BullMQ stored);
   * the job-status e2e tests read results, errors and attempts through here. Undefined when the job is gone.
   */
  async finished(ref: JobRef): Promise<FinishedJob | undefined> {
    const queue = this.queues[ref.queue];
    const client = await queue.backend.client;
    const [timestamp, returnvalue, failedReason, attemptsMade, atm] = await client.hmget(
      queue.toKey(ref.bullId),
      'timestamp',
      'returnvalue',
      'failedReason',
      'attemptsMade',
      'atm',
    );
    if (timestamp === null) return undefined;
    return {
      attemptsMade: Number(attemptsMade ?? atm ?? 0),
      ...(returnvalue !== null ? { returnvalue: JSON.parse(returnvalue) as unknown } : {}),
      ...(failedReason ? { failedReason } : {}),
    };
  }
}

/**
 * The enqueue time of the oldest job waiting to run: the oldest of each priority level (BullMQ 6 scores a prioritized
 * job `priority × 2^32 + a counter`, so a level's first is its oldest) and the oldest of the plain wait list. Our
 * priorities are a database's jobs in flight, so the levels are few; at most MAX_LEVELS are looked at.
 */
const OLDEST_WAITING = `
local oldest = false
local function consider(id)
  if not id then return end
  local t = tonumber(redis.call('HGET', ARGV[1] .. id, 'timestamp'))
  if t and (not oldest or t < oldest) then oldest = t end
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if first[2] then
  local low, high = math.floor(first[2] / 4294967296), math.floor(last[2] / 4294967296)
  for p = low, math.min(high, low + tonumber(ARGV[2]) - 1) do
    consider(redis.call('ZRANGEBYSCORE', KEYS[1], p * 4294967296, (p + 1) * 4294967296 - 1, 'LIMIT', 0, 1)[1])
  end
end
consider(redis.call('LINDEX', KEYS[2], -1))
return oldest`;
const MAX_LEVELS = 1024;

export interface FinishedJob {
  attemptsMade: number;
  returnvalue?: unknown;
  failedReason?: string;
}
