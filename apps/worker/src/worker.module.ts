import { BullModule } from '@nestjs/bullmq';
import { Logger, Module } from '@nestjs/common';
import { JOB_NAMES } from '#contracts';
import { databaseUrl, redisConnection, queuePrefix, resilientPool } from '#persistence';
import { ApplyService, PG_POOL } from './apply.service.js';
import { loadWorkerConfig, WORKER_CONFIG, type WorkerConfig } from './config.js';
import { JobGate } from './processors/job-gate.js';
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
    { provide: WORKER_CONFIG, useFactory: () => loadWorkerConfig() },
    JobGate,
    {
      provide: PG_POOL,
      inject: [WORKER_CONFIG],
      useFactory: (config: WorkerConfig) => {
        return resilientPool({ connectionString: databaseUrl(), max: config.PG_POOL_SIZE, statement_timeout: config.JOB_STATEMENT_TIMEOUT_MS }, (err) =>
          new Logger('worker').warn(`PostgreSQL connection lost: ${err.message}`),
        );
      },
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
