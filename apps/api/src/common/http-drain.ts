import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import type { Server } from 'node:http';

/**
 * SIGTERM with agents holding keep-alive connections (design: thousands poll every few seconds). Node closes idle
 * connections when the server closes, but a connection that keeps being used would hold the process open for ever.
 * From the first shutdown hook on, every response says `Connection: close`, so each connection ends after the
 * request under way (which is answered, never cut off) and agents reconnect to another replica; idle ones are
 * closed at once. The queues and the database close only after the HTTP server has (Nest's order).
 */
@Injectable()
export class HttpDrain implements BeforeApplicationShutdown {
  private draining = false;
  private readonly log = new Logger('api');

  constructor(private readonly adapter: HttpAdapterHost) {}

  readonly middleware = (_req: Request, res: Response, next: NextFunction): void => {
    if (this.draining) res.setHeader('Connection', 'close');
    next();
  };

  beforeApplicationShutdown(signal?: string): void {
    this.draining = true;
    (this.adapter.httpAdapter.getHttpServer() as Server).closeIdleConnections();
    this.log.log(`${signal ?? 'shutdown'}: answering requests under way, closing connections`);
  }
}
