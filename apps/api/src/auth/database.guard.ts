import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
  createParamDecorator,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Request } from 'express';
import type { Repository } from 'typeorm';
import { z } from 'zod';
import { bearerToken, secretMatches, type TenantRef } from '#contracts';
import { RegisteredDatabase } from '#persistence';
import type { ApiConfig } from '../config.js';
import { API_CONFIG } from '../tokens.js';

const uuid = z.uuid();
type TenantRequest = Request & { tenant?: TenantRef };

/**
 * Every /v1/customers/{client-id}/databases/{database-id}/… request: the bearer secret must be that database's,
 * and the database must belong to that customer. Otherwise 401 (no secret) or 403, and nothing is read or changed.
 * An unknown customer, an unknown database, another customer's database and a wrong secret all get the same 403,
 * so a stranger cannot learn which ids exist. The tenant is taken from the stored record, in its canonical
 * (lower-case) spelling, whatever spelling the path used: one database is one tenant for every count and key.
 */
@Injectable()
export class DatabaseGuard implements CanActivate {
  private readonly records: RecordCache;

  constructor(
    @InjectRepository(RegisteredDatabase) private readonly databases: Repository<RegisteredDatabase>,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    this.records = new RecordCache(config.AUTH_CACHE_MS);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<TenantRequest>();
    // Bulk routes are authenticated before their body is read (readJsonBodies); the others here.
    req.tenant ??= await this.authenticate(req);
    return true;
  }

  /** The tenant a request's path and secret name, or the exception to answer with. */
  async authenticate(req: Pick<Request, 'headers' | 'params'>): Promise<TenantRef> {
    const secret = bearerToken(req.headers.authorization);
    if (!secret) throw new UnauthorizedException('missing "Authorization: Bearer <database secret>"');
    const { customerId = '', databaseId = '' } = req.params as Record<string, string>;
    // Made only when refusing: an exception's stack trace costs more than the whole check that passes.
    const refused = () =>
      new ForbiddenException(
        `this secret does not open database ${databaseId.slice(0, 64)} of customer ${customerId.slice(0, 64)}`,
      );
    if (!uuid.safeParse(customerId).success || !uuid.safeParse(databaseId).success) throw refused();
    const db = await this.records.get(databaseId.toLowerCase(), (id) => this.databases.findOneBy({ id }));
    if (!db || db.customerId !== customerId.toLowerCase() || !secretMatches(secret, db.secretHash)) throw refused();
    return { customerId: db.customerId, databaseId: db.id };
  }
}

type DatabaseRecord = Pick<RegisteredDatabase, 'id' | 'customerId' | 'secretHash'>;

/**
 * Database records by id for a few seconds (AUTH_CACHE_MS): only what the database returned is kept (an unknown id
 * is asked again), at most MAX_RECORDS, the oldest going first.
 */
class RecordCache {
  private readonly records = new Map<string, { record: DatabaseRecord; until: number }>();

  constructor(private readonly ttlMs: number) {}

  async get(id: string, read: (id: string) => Promise<DatabaseRecord | null>): Promise<DatabaseRecord | null> {
    const now = Date.now();
    const kept = this.records.get(id);
    if (kept && kept.until > now) return kept.record;
    const record = await read(id);
    this.records.delete(id);
    if (record && this.ttlMs > 0) {
      this.records.set(id, { record, until: now + this.ttlMs });
      if (this.records.size > MAX_RECORDS) this.records.delete(this.records.keys().next().value!);
    }
    return record;
  }
}

const MAX_RECORDS = 100_000;

/** The tenant that DatabaseGuard authenticated. */
export const Tenant = createParamDecorator((_: unknown, context: ExecutionContext): TenantRef => {
  const tenant = context.switchToHttp().getRequest<TenantRequest>().tenant;
  if (!tenant) throw new Error('Tenant used on a route without DatabaseGuard');
  return tenant;
});
