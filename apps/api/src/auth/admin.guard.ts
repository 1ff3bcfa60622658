import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import type { ApiConfig } from '../config.js';
import { bearerToken, hashSecret, secretMatches } from '#contracts';
import { API_CONFIG } from '../tokens.js';

/**
 * The admin API: `Authorization: Bearer <ADMIN_TOKEN>`, or HTTP basic auth with the token as the password (any user
 * name), so that a browser can open the ops status page.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  private readonly tokenHash: string;

  constructor(@Inject(API_CONFIG) config: ApiConfig) {
    this.tokenHash = hashSecret(config.ADMIN_TOKEN);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.isAdmin(context.switchToHttp().getRequest<Request>().headers.authorization))
      throw new UnauthorizedException('admin token missing or wrong');
    return true;
  }

  /** Whether an Authorization header carries the admin token (for routes that answer everyone, admins more). */
  isAdmin(authorization: string | undefined): boolean {
    const basic = /^Basic\s+(\S+)$/i.exec(authorization ?? '');
    const token = basic
      ? Buffer.from(basic[1], 'base64').toString('utf8').split(':').slice(1).join(':')
      : bearerToken(authorization);
    return !!token && secretMatches(token, this.tokenHash);
  }
}
