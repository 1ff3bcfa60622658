import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import type { ApiConfig } from '../config.js';
import { basicCredentials, bearerToken, hashSecret, secretMatches } from '#contracts';
import { API_CONFIG } from '../tokens.js';

/** The admin API: `Authorization: Bearer <ADMIN_TOKEN>`. */
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

  /**
   * Whether an Authorization header carries the admin token (for routes that answer everyone, admins more). With
   * `basicToo`, also as the password of HTTP basic auth, for a page a browser opens: only ever for reading, since a
   * browser sends basic credentials with any request to the site, a forged one from another page included.
   */
  isAdmin(authorization: string | undefined, basicToo = false): boolean {
    const token = bearerToken(authorization) ?? (basicToo ? basicCredentials(authorization)?.password : undefined);
    return !!token && secretMatches(token, this.tokenHash);
  }
}
