import { Inject, Injectable } from '@nestjs/common';
import type { TenantRef } from '#contracts';
import { queuePrefix, type RedisClient } from '#queues';
import { TooManyRequestsException } from '../common/too-many-requests.js';
import type { ApiConfig } from '../config.js';
import { API_CONFIG, REDIS } from '../tokens.js';

/** At most REGISTRATION_CHANGES_PER_MINUTE registration changes a minute per database (a fixed window in Redis). */
@Injectable()
export class RegistrationRate {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  async take(tenant: TenantRef): Promise<void> {
    const minute = Math.floor(Date.now() / 60_000);
    const key = `${queuePrefix()}:registration-changes:${tenant.databaseId}:${minute}`;
    const [[, count]] = (await this.redis.multi().incr(key).expire(key, 120).exec()) as [[null, number], unknown];
    if (count > this.config.REGISTRATION_CHANGES_PER_MINUTE)
      throw new TooManyRequestsException(
        `database ${tenant.databaseId} made ${this.config.REGISTRATION_CHANGES_PER_MINUTE} registration changes (new tables or columns) this minute, the most allowed; retry later`,
        60 - (Math.floor(Date.now() / 1000) % 60),
      );
  }
}
