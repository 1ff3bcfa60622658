import { WorkerHost } from '@nestjs/bullmq';
import { JobGate } from '../jobs/job-gate.js';
import { JobProcessor, type JobResult, type TypedJob } from '../jobs/typed-job.js';
import { RangeHashService } from './range-hash.service.js';

@JobProcessor('range-hash')
export class RangeHashProcessor extends WorkerHost {
  constructor(
    private readonly hashes: RangeHashService,
    private readonly gate: JobGate,
  ) {
    super();
  }

  process(job: TypedJob<'range-hash'>): JobResult<'range-hash'> {
    return this.hashes.rangeHash(this.gate.open(job));
  }
}
