import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { JOB_NAMES } from '#contracts';
import { createLogger, PinoNestLogger } from '#observability';
import { loadWorkerConfig } from './config.js';
import { WorkerModule } from './worker.module.js';

try {
  loadWorkerConfig(); // fails before anything starts on bad configuration
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}

// A worker has no HTTP surface: it consumes the queues until SIGTERM, then lets active jobs finish.
const log = createLogger('rowferry-worker');
const app = await NestFactory.createApplicationContext(WorkerModule, { logger: new PinoNestLogger(log) });
app.enableShutdownHooks();
log.info({ queues: JOB_NAMES }, 'consuming');
