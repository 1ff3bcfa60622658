import { Inject, Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { DROPPED_JOB_DATA, isDroppedJob, openJob, type JobMap, type JobName } from '#contracts';
import type { WorkerConfig } from '../config.js';
import type { TypedJob } from './typed-job.js';
import { WORKER_CONFIG } from '../tokens.js';

/** The one way a processor gets a job's data: only if the API sealed it (see sealJob). */
@Injectable()
export class JobGate {
  private readonly log = new Logger('worker');

  constructor(@Inject(WORKER_CONFIG) private readonly config: WorkerConfig) {}

  open<N extends JobName>(job: TypedJob<N>): JobMap[N]['data'] {
    if (isDroppedJob(job.data)) throw new UnrecoverableError(`nothing to do: ${DROPPED_JOB_DATA.dropped}`);
    const data = openJob<JobMap[N]['data']>(job.data, this.config.JOB_SIGNING_KEY);
    if (data) return data;
    this.log.error(
      `job ${job.id} of queue ${job.queueName} was refused: its signature is not the API's (added to Redis some other way, or edited)`,
    );
    throw new UnrecoverableError(
      'refused: this job was not made by the rowferry API (its signature does not match its data)',
    );
  }
}
