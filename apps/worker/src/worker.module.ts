import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import pg from 'pg';
import { JOB_NAMES } from '#contracts';
import { databaseUrl, redisConnection, queuePrefix } from '#persistence';
import { ApplyService, PG_POOL } from './apply.service.js';
import { DrainOnShutdown } from './drain-on-shutdown.js';
import { DeleteProcessor } from './processors/delete.processor.js';
import { ManifestCheckProcessor } from './processors/manifest-check.processor.js';
import { RangeHashProcessor } from './processors/range-hash.processor.js';
import { UploadProcessor } from './processors/upload.processor.js';

@Module({
  imports: [
    BullModule.forRoot({ connection: redisConnection(), prefix: queuePrefix() }),
    BullModule.registerQueue(...JOB_NAMES.map((name) => ({ name }))),
  ],
  providers: [
    { provide: PG_POOL, useFactory: () => new pg.Pool({ connectionString: databaseUrl(), max: Number(process.env.PG_POOL_SIZE ?? 8) }) },
    ApplyService,
    UploadProcessor,
    DeleteProcessor,
    ManifestCheckProcessor,
    RangeHashProcessor,
    DrainOnShutdown,
  ],
})
export class WorkerModule {}
