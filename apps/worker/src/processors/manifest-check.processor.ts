import { Processor, WorkerHost } from '@nestjs/bullmq';
import { QUEUE_SETTINGS, type ManifestCheckResult } from '#contracts';
import { ApplyService } from '../apply.service.js';
import { JobGate } from './job-gate.js';
import type { TypedJob } from './typed-job.js';

@Processor('manifest-check', { concurrency: QUEUE_SETTINGS['manifest-check'].concurrency })
export class ManifestCheckProcessor extends WorkerHost {
  constructor(
    private readonly apply: ApplyService,
    private readonly gate: JobGate,
  ) {
    super();
  }

  process(job: TypedJob<'manifest-check'>): Promise<ManifestCheckResult> {
    return this.apply.manifestCheck(this.gate.open(job));
  }
}
