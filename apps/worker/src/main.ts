import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { JOB_NAMES } from '#contracts';
import { createLogger, PinoNestLogger } from '#observability';
import { WorkerModule } from './worker.module.js';

// A worker has no HTTP surface: it consumes the queues until SIGTERM, then lets active jobs finish.
const log = createLogger('rowferry-worker');
const app = await NestFactory.createApplicationContext(WorkerModule, { logger: new PinoNestLogger(log) });
app.enableShutdownHooks();
log.info({ queues: JOB_NAMES }, 'consuming');
