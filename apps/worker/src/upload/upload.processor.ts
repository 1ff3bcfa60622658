import { WorkerHost } from '@nestjs/bullmq';
import { JobGate } from '../jobs/job-gate.js';
import { JobProcessor, jobMeta, type JobResult, type TypedJob } from '../jobs/typed-job.js';
import { UploadService } from './upload.service.js';

@JobProcessor('upload')
export class UploadProcessor extends WorkerHost {
  constructor(
    private readonly uploads: UploadService,
    private readonly gate: JobGate,
  ) {
    super();
  }

  process(job: TypedJob<'upload'>): JobResult<'upload'> {
    return this.uploads.upload(this.gate.open(job), jobMeta(job));
  }
}

/** The express lane's small uploads (queueFor): the same work, on a worker slot of their own. */
@JobProcessor('upload-express')
export class ExpressUploadProcessor extends UploadProcessor {}
