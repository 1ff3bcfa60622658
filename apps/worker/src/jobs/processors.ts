import type { WorkerHost } from '@nestjs/bullmq';
import type { Type } from '@nestjs/common';
import type { JobName } from '#contracts';
import { DeleteProcessor } from '../delete/delete.processor.js';
import { ManifestCheckProcessor } from '../manifest-check/manifest-check.processor.js';
import { RangeHashProcessor } from '../range-hash/range-hash.processor.js';
import { UploadProcessor } from '../upload/upload.processor.js';

/** The processor of every job in the job map: a job without one does not compile. The module and the drain use it. */
export const PROCESSORS: Record<JobName, Type<WorkerHost>> = {
  upload: UploadProcessor,
  delete: DeleteProcessor,
  'manifest-check': ManifestCheckProcessor,
  'range-hash': RangeHashProcessor,
};
