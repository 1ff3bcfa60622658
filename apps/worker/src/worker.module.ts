import { BullModule } from '@nestjs/bullmq';
import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { QUEUE_NAMES } from '#contracts';
import { MetricsModule } from '#observability';
import { databaseUrl, resilientPool } from '#persistence';
import { queueConnection, queuePrefix } from '#queues';
import type { WorkerConfig } from './config.js';
import { DeleteService } from './delete/delete.service.js';
import { JobGate } from './jobs/job-gate.js';
import { JobRunner } from './jobs/job-runner.js';
import { PROCESSORS } from './jobs/processors.js';
import { ProcessorsLifecycle } from './jobs/processors-lifecycle.js';
import { HealthController } from './ops/health.controller.js';
import { WorkerMetrics } from './ops/worker-metrics.js';
import { ManifestCheckService } from './manifest-check/manifest-check.service.js';
import { RangeHashService } from './range-hash/range-hash.service.js';
import { UploadService } from './upload/upload.service.js';
import { WORKER_CONFIG, PG_POOL } from './tokens.js';

/** The worker, built from its configuration (read and checked once, in main). */
@Module({})
export class WorkerModule {
  static register(config: WorkerConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        BullModule.forRoot({ connection: queueConnection(), prefix: queuePrefix() }),
        BullModule.registerQueue(...QUEUE_NAMES.map((name) => ({ name }))),
        TerminusModule,
        MetricsModule.forRoot({ service: 'worker', token: config.METRICS_TOKEN }),
      ],
      controllers: [HealthController],
      providers: [
        { provide: WORKER_CONFIG, useValue: config },
        {
          provide: PG_POOL,
          inject: [WORKER_CONFIG],
          useFactory: (config: WorkerConfig) =>
            resilientPool(
              {
                connectionString: databaseUrl(),
                max: config.PG_POOL_SIZE,
                statement_timeout: config.JOB_STATEMENT_TIMEOUT_MS,
              },
              (err) => new Logger('worker').warn(`PostgreSQL connection lost: ${err.message}`),
            ),
        },
        WorkerMetrics,
        JobGate,
        JobRunner,
        UploadService,
        DeleteService,
        ManifestCheckService,
        RangeHashService,
        ...config.WORKER_QUEUES.map((queue) => PROCESSORS[queue]),
        ProcessorsLifecycle,
      ],
    };
  }
}
