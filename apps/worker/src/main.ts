import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WorkerModule } from './worker.module.js';

// A worker has no HTTP surface: it consumes the queues until SIGTERM, then lets active jobs finish.
const app = await NestFactory.createApplicationContext(WorkerModule);
app.enableShutdownHooks();
new Logger('worker').log(`worker ${process.pid} consuming upload, delete and manifest-check`);
