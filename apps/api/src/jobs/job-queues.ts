import { getQueueToken } from '@nestjs/bullmq';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bullmq';
import { JOB_NAMES, type QueueName } from '#contracts';
import { parsePublicJobId, type JobRef } from './job-ids.js';

/** The API's queues, one per job of the job map: a queue added to the map is here without a line more. */
@Injectable()
export class JobQueues implements OnModuleInit {
  private queues!: Record<QueueName, Queue>;

  constructor(private readonly moduleRef: ModuleRef) {}

  onModuleInit(): void {
    this.queues = Object.fromEntries(
      JOB_NAMES.map((name) => [name, this.moduleRef.get<Queue>(getQueueToken(name), { strict: false })]),
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

export interface FinishedJob {
  attemptsMade: number;
  returnvalue?: unknown;
  failedReason?: string;
}
