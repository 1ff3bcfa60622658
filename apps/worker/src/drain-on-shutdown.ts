import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { DeleteProcessor } from './processors/delete.processor.js';
import { ManifestCheckProcessor } from './processors/manifest-check.processor.js';
import { RangeHashProcessor } from './processors/range-hash.processor.js';
import { UploadProcessor } from './processors/upload.processor.js';

/**
 * On SIGTERM, stop taking jobs and let the active ones finish before anything they use (the PostgreSQL pool) is
 * closed: before-shutdown hooks all complete before the shutdown hooks that close resources run.
 */
@Injectable()
export class DrainOnShutdown implements BeforeApplicationShutdown {
  private readonly log = new Logger('worker');

  constructor(
    private readonly upload: UploadProcessor,
    private readonly del: DeleteProcessor,
    private readonly manifestCheck: ManifestCheckProcessor,
    private readonly rangeHash: RangeHashProcessor,
  ) {}

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.log.log(`${signal ?? 'shutdown'}: finishing active jobs`);
    await Promise.all([this.upload, this.del, this.manifestCheck, this.rangeHash].map((p) => p.worker.close()));
    this.log.log('active jobs finished');
  }
}
