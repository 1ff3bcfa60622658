import { BullModule } from '@nestjs/bullmq';
import { Logger, Module } from '@nestjs/common';
import { JOB_NAMES } from '#contracts';
import { databaseUrl, redisConnection, queuePrefix, resilientPool } from '#persistence';
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
    {
      provide: PG_POOL,
      useFactory: () =>
        resilientPool({ connectionString: databaseUrl(), max: Number(process.env.PG_POOL_SIZE ?? 8) }, (err) => new Logger('worker').warn(`PostgreSQL connection lost: ${err.message}`)),
    },
    ApplyService,
    UploadProcessor,
    DeleteProcessor,
    ManifestCheckProcessor,
    RangeHashProcessor,
    DrainOnShutdown,
  ],
})
export class WorkerModule {}
