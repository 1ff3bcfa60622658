import { Processor } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import type { JobMap, JobName, QueueName, SealedJob } from '#contracts';
import { workerOptions } from '#queues';
import type { JobMeta } from './job-runner.js';

/** A BullMQ job typed by the shared job map: its data is sealed by the API (JobGate opens it), its result typed. */
export type TypedJob<N extends JobName> = Job<SealedJob, JobMap[N]['result'], N>;

/** What a processor of queue N returns: the job map's result, so a processor cannot answer the wrong shape. */
export type JobResult<N extends JobName> = Promise<JobMap[N]['result']>;

/** `@Processor` for one queue, consuming as its queue policy says. */
export const JobProcessor = (queue: QueueName): ClassDecorator => Processor(queue, workerOptions(queue));

/** Which attempt of which job this is, for the batch history. */
export function jobMeta(job: Job): JobMeta {
  return { jobId: job.id!, attempt: job.attemptsMade + 1 };
}
