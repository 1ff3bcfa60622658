import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import { API_CONFIG, type ApiConfig } from '../config.js';
import { bearerToken, hashSecret, secretMatches } from './secrets.js';

/** The admin API: `Authorization: Bearer <ADMIN_TOKEN>`. */
@Injectable()
export class AdminGuard implements CanActivate {
  private readonly tokenHash: string;

  constructor(@Inject(API_CONFIG) config: ApiConfig) {
    this.tokenHash = hashSecret(config.ADMIN_TOKEN);
  }

  canActivate(context: ExecutionContext): boolean {
    const token = bearerToken(context.switchToHttp().getRequest<Request>().headers.authorization);
    if (!token || !secretMatches(token, this.tokenHash)) throw new UnauthorizedException('admin token missing or wrong');
    return true;
  }
}
