import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { BullBoardModule } from '@bull-board/nestjs';
import { Logger, type DynamicModule } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { basicCredentials, hashSecret, QUEUE_NAMES, secretMatches } from '#contracts';
import { BULL_BOARD_ROUTE, type ApiConfig } from '../config.js';

/**
 * Bull Board for every queue, behind HTTP basic auth checked in the board's own middleware (Nest guards do not
 * cover it). Without a password the board is not mounted at all: it fails closed. It can look and retry, nothing
 * else (see lookAndRetryOnly); the workers refuse any job the API did not sign besides.
 */
export function bullBoardModules(config: ApiConfig): DynamicModule[] {
  if (!config.BULL_BOARD_PASSWORD) {
    new Logger('bull-board').warn(`Bull Board is not mounted at ${BULL_BOARD_ROUTE}: BULL_BOARD_PASSWORD is not set`);
    return [];
  }
  return [
    BullBoardModule.forRoot({
      route: BULL_BOARD_ROUTE,
      adapter: ExpressAdapter,
      middleware: basicAuth(config.BULL_BOARD_USER, config.BULL_BOARD_PASSWORD, lookAndRetryOnly),
      boardOptions: { uiConfig: { boardTitle: 'rowferry jobs' } },
    }),
    BullBoardModule.forFeature(...QUEUE_NAMES.map((name) => ({ name, adapter: BullMQAdapter }))),
  ];
}

function basicAuth(user: string, password: string, then: (req: Request, res: Response, next: NextFunction) => void) {
  const expected = hashSecret(`${user}:${password}`);
  return (req: Request, res: Response, next: NextFunction) => {
    const given = basicCredentials(req.headers.authorization);
    if (given && secretMatches(`${given.user}:${given.password}`, expected)) return then(req, res, next);
    res.setHeader('WWW-Authenticate', 'Basic realm="rowferry ops", charset="UTF-8"');
    res.status(401).json({ statusCode: 401, message: 'Bull Board needs the ops user and password' });
  };
}

/** The board's writes that are allowed: retrying one job, or every failed job of a queue. */
const RETRY = /\/api\/queues\/[^/]+\/([^/]+\/retry|retry\/failed)$/;

/**
 * Ops may look at jobs and retry them, and do nothing else: no adding a job, editing its data, cleaning or emptying
 * a queue. Bull Board's own readOnlyMode cannot be used for this: in this version it also turns retries off.
 */
function lookAndRetryOnly(req: Request, res: Response, next: NextFunction) {
  if (req.method === 'GET' || req.method === 'HEAD' || (req.method === 'PUT' && RETRY.test(req.path))) return next();
  res.status(405).json({
    statusCode: 405,
    message: 'Bull Board is read-only here, but for retries: jobs are made by the API alone',
  });
}
