import { Processor, WorkerHost } from '@nestjs/bullmq';
import { QUEUE_SETTINGS, type DeleteResult } from '#contracts';
import { ApplyService } from '../apply.service.js';
import { JobGate } from './job-gate.js';
import type { TypedJob } from './typed-job.js';

@Processor('delete', { concurrency: QUEUE_SETTINGS.delete.concurrency })
export class DeleteProcessor extends WorkerHost {
  constructor(
    private readonly apply: ApplyService,
    private readonly gate: JobGate,
  ) {
    super();
  }

  process(job: TypedJob<'delete'>): Promise<DeleteResult> {
    return this.apply.delete(this.gate.open(job), { jobId: job.id!, attempt: job.attemptsMade + 1 });
  }
}
