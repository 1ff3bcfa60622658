import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { TenantRef } from '#contracts';

/** The routes that carry rows (upload, delete by keys, manifest check): the only ones that take large bodies. */
const BULK_ROUTE = /^\/v1\/customers\/([^/]+)\/databases\/([^/]+)\/tables\/[^/]+(\/manifest-check)?\/?$/i;

export interface BodyLimits {
  /** Bytes a bulk route accepts, once its caller is authenticated. */
  bulk: number;
  /** Bytes every other route accepts. */
  small: number;
}

type Authenticate = (req: Pick<Request, 'headers' | 'params'>) => Promise<TenantRef>;

/**
 * Reads JSON bodies, cheapest refusal first, so an unauthenticated flood of large bodies costs the API nothing:
 * a declared length over the route's limit is refused before a byte is read; a bulk route authenticates its caller
 * before reading; only then is the body read, up to the limit, and parsed. A refusal before reading closes the
 * connection, so the unread body is not drained.
 */
export function readJsonBodies(limits: BodyLimits, authenticate: Authenticate): RequestHandler {
  const parse = {
    // An upload's body is read, not parsed: an intake thread parses it (UploadIntake).
    upload: express.raw({ type: 'application/json', limit: limits.bulk }),
    bulk: express.json({ limit: limits.bulk }),
    small: express.json({ limit: limits.small }),
  };
  return (req: Request & { tenant?: TenantRef }, res: Response, next: NextFunction) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared === 0 && req.headers['transfer-encoding'] === undefined) return next();
    const m = BULK_ROUTE.exec(req.path);
    const bulk = !!m && (req.method === 'POST' || (req.method === 'DELETE' && !m[3]));
    const upload = bulk && req.method === 'POST' && !m[3];
    const limit = bulk ? limits.bulk : limits.small;
    if (declared > limit)
      return refuse(res, 413, `a request body of ${declared} bytes is over this route's limit of ${limit} bytes`, true);
    const read = () =>
      parse[upload ? 'upload' : bulk ? 'bulk' : 'small'](req, res, (err?: unknown) => {
        if (!err) return next();
        const e = err as { status?: number; type?: string; message?: string };
        const status = e.status && e.status >= 400 && e.status < 500 ? e.status : 400;
        refuse(
          res,
          status,
          e.type === 'entity.too.large'
            ? `the request body is over this route's limit of ${limit} bytes`
            : `the request body is not valid JSON: ${e.message}`,
          false,
        );
      });
    if (!bulk) return read();
    authenticate({ headers: req.headers, params: { customerId: decodePart(m[1]), databaseId: decodePart(m[2]) } }).then(
      (tenant) => {
        req.tenant = tenant;
        read();
      },
      (err: unknown) => (err instanceof HttpException ? refuse(res, err.getStatus(), err.message, true) : next(err)),
    );
  };
}

function refuse(res: Response, status: number, message: string, unread: boolean): void {
  if (unread) res.setHeader('Connection', 'close');
  res.status(status).json({ statusCode: status, message, error: STATUS_CODES[status] });
}

function decodePart(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
