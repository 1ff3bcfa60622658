import { getQueueToken } from '@nestjs/bullmq';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bullmq';
import { JOB_NAMES, type QueueName } from '#contracts';
import { parsePublicJobId } from './job-ids.js';

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
}
