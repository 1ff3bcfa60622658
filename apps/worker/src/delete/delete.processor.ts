import { WorkerHost } from '@nestjs/bullmq';
import { JobGate } from '../jobs/job-gate.js';
import { JobProcessor, jobMeta, type JobResult, type TypedJob } from '../jobs/typed-job.js';
import { DeleteService } from './delete.service.js';

@JobProcessor('delete')
export class DeleteProcessor extends WorkerHost {
  constructor(
    private readonly deletes: DeleteService,
    private readonly gate: JobGate,
  ) {
    super();
  }

  process(job: TypedJob<'delete'>): JobResult<'delete'> {
    return this.deletes.delete(this.gate.open(job), jobMeta(job));
  }
}
