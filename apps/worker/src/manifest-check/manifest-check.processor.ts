import { WorkerHost } from '@nestjs/bullmq';
import { JobGate } from '../jobs/job-gate.js';
import { JobProcessor, type JobResult, type TypedJob } from '../jobs/typed-job.js';
import { ManifestCheckService } from './manifest-check.service.js';

@JobProcessor('manifest-check')
export class ManifestCheckProcessor extends WorkerHost {
  constructor(
    private readonly checks: ManifestCheckService,
    private readonly gate: JobGate,
  ) {
    super();
  }

  process(job: TypedJob<'manifest-check'>): JobResult<'manifest-check'> {
    return this.checks.manifestCheck(this.gate.open(job));
  }
}
