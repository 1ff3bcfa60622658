import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Redis } from 'ioredis';
import pg from 'pg';
import { JOB_NAMES } from '#contracts';
import { CONTROL_ENTITIES, controlDataSourceOptions, databaseUrl, redisConnection, queuePrefix } from '#persistence';
import { AdminGuard } from './auth/admin.guard.js';
import { DatabaseGuard } from './auth/database.guard.js';
import { API_CONFIG, loadApiConfig } from './config.js';
import { HealthController } from './health/health.controller.js';
import { JobQueueService, REDIS } from './jobs/job-queue.service.js';
import { PG_POOL, TablesService } from './tables/tables.service.js';
import { TablesController } from './tables/tables.controller.js';
import { TenancyController } from './tenancy/tenancy.controller.js';
import { TenancyService } from './tenancy/tenancy.service.js';

@Module({
  imports: [
    TypeOrmModule.forRoot(controlDataSourceOptions()),
    TypeOrmModule.forFeature(CONTROL_ENTITIES),
    BullModule.forRoot({ connection: redisConnection(), prefix: queuePrefix() }),
    BullModule.registerQueue(...JOB_NAMES.map((name) => ({ name }))),
    TerminusModule,
  ],
  controllers: [TenancyController, TablesController, HealthController],
  providers: [
    { provide: API_CONFIG, useFactory: () => loadApiConfig() },
    { provide: PG_POOL, useFactory: () => new pg.Pool({ connectionString: databaseUrl(), max: 4 }) },
    { provide: REDIS, useFactory: () => new Redis(redisConnection()) },
    AdminGuard,
    DatabaseGuard,
    JobQueueService,
    TablesService,
    TenancyService,
  ],
})
export class AppModule {}
