import { BullModule } from '@nestjs/bullmq';
import { Logger, Module, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { QUEUE_NAMES } from '#contracts';
import { MetricsModule } from '#observability';
import { CONTROL_ENTITIES, controlDataSourceOptions, databaseUrl, resilientPool } from '#persistence';
import { newRedisClient, queueConnection, queuePrefix } from '#queues';
import { AdminGuard } from './auth/admin.guard.js';
import { BatchesService } from './batches/batches.service.js';
import { QuarantineService } from './quarantine/quarantine.service.js';
import { DatabaseGuard } from './auth/database.guard.js';
import { HttpDrain } from './common/http-drain.js';
import { SchemaPipe } from './common/schema.pipe.js';
import { TenantScope } from './common/tenant-scope.js';
import type { ApiConfig } from './config.js';
import { AgentsSeen } from './ops/agents-seen.js';
import { ApiMetrics } from './ops/api-metrics.js';
import { bullBoardModules } from './ops/bull-board.js';
import { MarkersService } from './markers/markers.service.js';
import { JobQueueService } from './jobs/job-queue.service.js';
import { JobQueues } from './jobs/job-queues.js';
import { JobsInFlight } from './jobs/jobs-in-flight.js';
import { SubmissionService } from './submission/submission.service.js';
import { UploadIntake } from './submission/upload-intake.pool.js';
import { TableRegistrationService } from './tables/table-registration.service.js';
import { VersionInfoService } from './tables/version-info.service.js';
import { RegistrationRate } from './tables/registration-rate.js';
import { TenancyService } from './tenancy/tenancy.service.js';
import { API_CONFIG, PG_POOL, REDIS } from './tokens.js';
import { API_CONTROLLERS } from './controllers.js';

/** What the API is made of, whatever its configuration. */
const MODULE = {
  imports: [
    TypeOrmModule.forRoot(controlDataSourceOptions()),
    TypeOrmModule.forFeature(CONTROL_ENTITIES),
    // Made when the module is built, after the configuration was checked (a bad Redis setting is one clear line).
    BullModule.forRootAsync({ useFactory: () => ({ connection: queueConnection(), prefix: queuePrefix() }) }),
    BullModule.registerQueue(...QUEUE_NAMES.map((name) => ({ name }))),
    TerminusModule,
  ],
  controllers: API_CONTROLLERS,
  providers: [
    {
      provide: PG_POOL,
      inject: [API_CONFIG],
      useFactory: (config: ApiConfig) =>
        resilientPool(
          { connectionString: databaseUrl(), max: 4, statement_timeout: config.STATEMENT_TIMEOUT_MS },
          (err) => new Logger('api').warn(`PostgreSQL connection lost: ${err.message}`),
        ),
    },
    { provide: REDIS, useFactory: () => newRedisClient() },
    { provide: APP_PIPE, useClass: SchemaPipe },
    HttpDrain,
    ApiMetrics,
    AgentsSeen,
    TenantScope,
    AdminGuard,
    DatabaseGuard,
    JobQueues,
    JobsInFlight,
    JobQueueService,
    TableRegistrationService,
    VersionInfoService,
    SubmissionService,
    UploadIntake,
    RegistrationRate,
    BatchesService,
    QuarantineService,
    MarkersService,
    TenancyService,
  ],
};

/** The API; built from its configuration so that optional surfaces (Bull Board) are mounted only when set up. */
@Module({})
export class AppModule implements NestModule {
  constructor(
    private readonly drain: HttpDrain,
    private readonly metrics: ApiMetrics,
  ) {}

  configure(consumer: MiddlewareConsumer): void {
    // The providers' own instances (a middleware class would get an instance of its own, blind to the shutdown).
    consumer.apply(this.metrics.httpMiddleware, this.drain.middleware).forRoutes('*');
  }

  static register(config: ApiConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ...MODULE.imports,
        MetricsModule.forRoot({ service: 'api', token: config.METRICS_TOKEN }),
        ...bullBoardModules(config),
      ],
      controllers: MODULE.controllers,
      providers: [{ provide: API_CONFIG, useValue: config }, ...MODULE.providers],
    };
  }
}
