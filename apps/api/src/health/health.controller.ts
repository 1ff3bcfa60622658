import { Controller, Get, Headers, Inject, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
  type HealthCheckResult,
} from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { AdminGuard } from '../auth/admin.guard.js';
import { REDIS } from '../tokens.js';

/**
 * Readiness: PostgreSQL and Redis both answer. A stranger learns ok or not, nothing more; with the admin token the
 * answer says what failed and how full Redis is (it holds every queued job's rows, with no eviction).
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicator: HealthIndicatorService,
    @Inject(REDIS) private readonly redisClient: Redis,
    private readonly adminGuard: AdminGuard,
  ) {}

  @Get()
  async check(
    @Headers('authorization') authorization: string | undefined,
  ): Promise<HealthCheckResult | { status: 'ok' }> {
    const admin = this.adminGuard.isAdmin(authorization);
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
      return check.up({
        usedMemoryBytes: field('used_memory'),
        maxMemoryBytes: field('maxmemory'),
        evictionPolicy: /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? 'unknown',
      });
    } catch (err) {
      return check.down({ message: err instanceof Error ? err.message : String(err) });
    }
  }
}
