import { CanActivate, ExecutionContext, ForbiddenException, Injectable, NotFoundException, UnauthorizedException, createParamDecorator } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Request } from 'express';
import type { Repository } from 'typeorm';
import { z } from 'zod';
import type { TenantRef } from '#contracts';
import { RegisteredDatabase } from '#persistence';
import { bearerToken, secretMatches } from './secrets.js';

const uuid = z.uuid();
type TenantRequest = Request & { tenant?: TenantRef };

/**
 * Every /v1/customers/{client-id}/databases/{database-id}/… request: the bearer secret must be that database's,
 * and the database must belong to that customer. Otherwise 401/403/404 and nothing is read or changed.
 */
@Injectable()
export class DatabaseGuard implements CanActivate {
  constructor(@InjectRepository(RegisteredDatabase) private readonly databases: Repository<RegisteredDatabase>) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<TenantRequest>();
    const secret = bearerToken(req.headers.authorization);
    if (!secret) throw new UnauthorizedException('missing "Authorization: Bearer <database secret>"');
    const { customerId, databaseId } = req.params as Record<string, string>;
    if (!uuid.safeParse(customerId).success || !uuid.safeParse(databaseId).success)
      throw new NotFoundException('customer or database id is not a UUID');
    const db = await this.databases.findOneBy({ id: databaseId });
    if (!db || db.customerId !== customerId) throw new NotFoundException(`database ${databaseId} of customer ${customerId} does not exist`);
    if (!secretMatches(secret, db.secretHash)) throw new ForbiddenException('this secret does not belong to this database');
    req.tenant = { customerId, databaseId };
    return true;
  }
}

/** The tenant that DatabaseGuard authenticated. */
export const Tenant = createParamDecorator((_: unknown, context: ExecutionContext): TenantRef => {
  const tenant = context.switchToHttp().getRequest<TenantRequest>().tenant;
  if (!tenant) throw new Error('Tenant used on a route without DatabaseGuard');
  return tenant;
});
