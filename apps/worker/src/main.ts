import '#observability/limit-heap'; // first: before the worker's modules load
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { QUEUE_NAMES } from '#contracts';
import { createLogger, PinoNestLogger } from '#observability';
import { loadWorkerConfig, type WorkerConfig } from './config.js';
import { WorkerModule } from './worker.module.js';

let config: WorkerConfig;
try {
  config = loadWorkerConfig(); // fails before anything starts on bad configuration
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}

// A worker consumes the queues until SIGTERM, then lets active jobs finish. Its only HTTP surface is the ops port:
// /health for the orchestrator, /metrics for Prometheus.
const log = createLogger('rowferry-worker');
const app = await NestFactory.create(WorkerModule.register(config), { logger: new PinoNestLogger(log) });
app.enableShutdownHooks();
await app.listen(config.OPS_PORT, config.OPS_HOST);
log.info({ queues: QUEUE_NAMES, ops: await app.getUrl() }, 'consuming');
