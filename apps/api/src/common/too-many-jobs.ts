import { Catch, HttpException, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';

/** A database is over its share of jobs in flight: 429 with how long to wait. */
export class TooManyJobsException extends HttpException {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super({ statusCode: HttpStatus.TOO_MANY_REQUESTS, message, error: 'Too Many Requests' }, HttpStatus.TOO_MANY_REQUESTS);
  }
}

/** Adds the Retry-After header that the agent honours. */
@Catch(TooManyJobsException)
export class TooManyJobsFilter implements ExceptionFilter {
  catch(err: TooManyJobsException, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    res.setHeader('Retry-After', String(err.retryAfterSeconds));
    res.status(err.getStatus()).json(err.getResponse());
  }
}
