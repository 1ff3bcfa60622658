import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createLogger, PinoNestLogger } from '#observability';
import { AppModule } from './app.module.js';
import { DatabaseGuard } from './auth/database.guard.js';
import { readJsonBodies } from './common/request-body.js';
import { TooManyRequestsFilter } from './common/too-many-requests.js';
import { loadApiConfig } from './config.js';
import { serveApiDescription } from './ops/openapi.js';

/** Builds and starts the API; refuses to start on bad configuration. */
export async function startApi(): Promise<INestApplication> {
  const config = loadApiConfig(); // fails before anything starts when ADMIN_TOKEN is missing
  const log = createLogger('rowferry-api');
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), {
    bodyParser: false,
    logger: new PinoNestLogger(log),
  });
  // No ETag hashed over every answer (agents never revalidate), and no framework banner.
  app.set('etag', false);
  app.disable('x-powered-by');
  const guard = app.get(DatabaseGuard);
  app.use(
    readJsonBodies({ bulk: config.MAX_BODY_BYTES, small: config.MAX_SMALL_BODY_BYTES }, (req) =>
      guard.authenticate(req),
    ),
  );
  app.useGlobalFilters(new TooManyRequestsFilter());
  serveApiDescription(app);
  app.enableShutdownHooks();
  await app.listen(config.PORT, config.HOST);
  log.info({ url: await app.getUrl() }, 'listening');
  return app;
}
