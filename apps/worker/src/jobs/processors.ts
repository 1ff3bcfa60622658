import type { WorkerHost } from '@nestjs/bullmq';
import type { Type } from '@nestjs/common';
import type { QueueName } from '#contracts';
import { DeleteProcessor } from '../delete/delete.processor.js';
import { ManifestCheckProcessor } from '../manifest-check/manifest-check.processor.js';
import { RangeHashProcessor } from '../range-hash/range-hash.processor.js';
import { ExpressUploadProcessor, UploadProcessor } from '../upload/upload.processor.js';

/** The processor of every queue: a queue without one does not compile. The module and the drain use it. */
export const PROCESSORS: Record<QueueName, Type<WorkerHost>> = {
  upload: UploadProcessor,
  'upload-express': ExpressUploadProcessor,
  delete: DeleteProcessor,
  'manifest-check': ManifestCheckProcessor,
  'range-hash': RangeHashProcessor,
};
