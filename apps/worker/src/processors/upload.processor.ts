import { Processor, WorkerHost } from '@nestjs/bullmq';
import { QUEUE_SETTINGS, type UploadResult } from '#contracts';
import { ApplyService } from '../apply.service.js';
import { JobGate } from './job-gate.js';
import type { TypedJob } from './typed-job.js';

@Processor('upload', { concurrency: QUEUE_SETTINGS.upload.concurrency })
export class UploadProcessor extends WorkerHost {
  constructor(
    private readonly apply: ApplyService,
    private readonly gate: JobGate,
  ) {
    super();
  }

  process(job: TypedJob<'upload'>): Promise<UploadResult> {
    return this.apply.upload(this.gate.open(job), { jobId: job.id!, attempt: job.attemptsMade + 1 });
  }
}
