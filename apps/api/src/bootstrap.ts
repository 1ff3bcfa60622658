import 'reflect-metadata';
import { Logger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { loadApiConfig } from './config.js';

/** Builds and starts the API; used by main.ts and by the end-to-end tests. */
export async function startApi(port?: number): Promise<INestApplication> {
  const config = loadApiConfig(); // fails before anything starts when ADMIN_TOKEN is missing
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { bodyParser: false, logger: ['error', 'warn', 'log'] });
  app.useBodyParser('json', { limit: config.MAX_BODY_BYTES });
  app.enableShutdownHooks();
  await app.listen(port ?? config.PORT, '127.0.0.1');
  new Logger('api').log(`listening on ${await app.getUrl()}`);
  return app;
}
