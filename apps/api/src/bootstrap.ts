import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createLogger, PinoNestLogger } from '#observability';
import { AppModule } from './app.module.js';
import { TooManyJobsFilter } from './common/too-many-jobs.js';
import { loadApiConfig } from './config.js';

/** Builds and starts the API; refuses to start on bad configuration. */
export async function startApi(): Promise<INestApplication> {
  const config = loadApiConfig(); // fails before anything starts when ADMIN_TOKEN is missing
  const log = createLogger('rowferry-api');
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), { bodyParser: false, logger: new PinoNestLogger(log) });
  app.useBodyParser('json', { limit: config.MAX_BODY_BYTES });
  app.useGlobalFilters(new TooManyJobsFilter());
  app.enableShutdownHooks();
  await app.listen(config.PORT, config.HOST);
  log.info({ url: await app.getUrl() }, 'listening');
  return app;
}
