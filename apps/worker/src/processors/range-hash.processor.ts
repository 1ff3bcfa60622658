import { Processor, WorkerHost } from '@nestjs/bullmq';
import { QUEUE_SETTINGS, type RangeHashResult } from '#contracts';
import { ApplyService } from '../apply.service.js';
import { JobGate } from './job-gate.js';
import type { TypedJob } from './typed-job.js';

@Processor('range-hash', { concurrency: QUEUE_SETTINGS['range-hash'].concurrency })
export class RangeHashProcessor extends WorkerHost {
  constructor(
    private readonly apply: ApplyService,
    private readonly gate: JobGate,
  ) {
    super();
  }

  process(job: TypedJob<'range-hash'>): Promise<RangeHashResult> {
    return this.apply.rangeHash(this.gate.open(job));
  }
}
