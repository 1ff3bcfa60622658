import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { BullBoardModule } from '@bull-board/nestjs';
import { Logger, type DynamicModule } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { JOB_NAMES } from '#contracts';
import { hashSecret, secretMatches } from '../auth/secrets.js';
import type { ApiConfig } from '../config.js';

export const BULL_BOARD_ROUTE = '/admin/queues';

/**
 * Bull Board for every queue, behind HTTP basic auth checked in the board's own middleware (Nest guards do not
 * cover it). Without a password the board is not mounted at all: it fails closed.
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
      middleware: basicAuth(config.BULL_BOARD_USER, config.BULL_BOARD_PASSWORD),
      boardOptions: { uiConfig: { boardTitle: 'rowferry jobs' } },
    }),
    BullBoardModule.forFeature(...JOB_NAMES.map((name) => ({ name, adapter: BullMQAdapter }))),
  ];
}

function basicAuth(user: string, password: string) {
  const expected = hashSecret(`${user}:${password}`);
  return (req: Request, res: Response, next: NextFunction) => {
    const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const given = m ? Buffer.from(m[1], 'base64').toString('utf8') : '';
    if (given && secretMatches(given, expected)) return next();
    res.setHeader('WWW-Authenticate', 'Basic realm="rowferry ops", charset="UTF-8"');
    res.status(401).json({ statusCode: 401, message: 'Bull Board needs the ops user and password' });
  };
}
