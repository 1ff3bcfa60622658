import { Controller, Get, Headers, Inject, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator, type HealthCheckResult } from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { hashSecret, bearerToken, secretMatches } from '../auth/secrets.js';
import { API_CONFIG, type ApiConfig } from '../config.js';
import { REDIS } from '../jobs/job-queue.service.js';

/**
 * Readiness: PostgreSQL and Redis both answer. A stranger learns ok or not, nothing more; with the admin token the
 * answer says what failed and how full Redis is (it holds every queued job's rows, with no eviction).
 */
@Controller('health')
export class HealthController {
  private readonly adminTokenHash: string;

  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicator: HealthIndicatorService,
    @Inject(REDIS) private readonly redisClient: Redis,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    this.adminTokenHash = hashSecret(config.ADMIN_TOKEN);
  }

  @Get()
  async check(@Headers('authorization') authorization: string | undefined): Promise<HealthCheckResult | { status: 'ok' }> {
    const token = bearerToken(authorization);
    const admin = !!token && secretMatches(token, this.adminTokenHash);
    try {
      const result = await this.health.check([() => this.db.pingCheck('postgres'), () => this.redis()]);
      return admin ? result : { status: 'ok' };
    } catch (err) {
      if (admin) throw err;
      throw new ServiceUnavailableException({ status: 'error' });
    }
  }

  private async redis() {
    const check = this.indicator.check('redis');
    try {
      const info = await this.redisClient.info('memory');
      const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
      return check.up({ usedMemoryBytes: field('used_memory'), maxMemoryBytes: field('maxmemory'), evictionPolicy: /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? 'unknown' });
    } catch (err) {
      return check.down({ message: err instanceof Error ? err.message : String(err) });
    }
  }
}
