import { Controller, Get, Headers, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity, ApiTags } from '@nestjs/swagger';
import {
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
  type HealthCheckResult,
} from '@nestjs/terminus';
import { answerHealth } from '#observability';
import { readRedisMemory, type RedisClient } from '#queues';
import { AdminGuard } from '../auth/admin.guard.js';
import { REDIS } from '../tokens.js';

/**
 * Readiness: PostgreSQL and Redis both answer. A stranger learns ok or not, nothing more; with the admin token the
 * answer says what failed and how full Redis is (it holds every queued job's rows, with no eviction).
 */
// Open to anyone; the admin token adds what each check found.
@ApiTags('ops')
@ApiSecurity({})
@ApiBearerAuth('admin')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicator: HealthIndicatorService,
    @Inject(REDIS) private readonly redisClient: RedisClient,
    private readonly adminGuard: AdminGuard,
  ) {}

  @Get()
  async check(
    @Headers('authorization') authorization: string | undefined,
  ): Promise<HealthCheckResult | { status: 'ok' }> {
    const admin = this.adminGuard.isAdmin(authorization);
    return answerHealth(this.health, [() => this.db.pingCheck('postgres'), () => this.redis()], admin);
  }

  private async redis() {
    const check = this.indicator.check('redis');
    try {
      return check.up({ ...(await readRedisMemory(this.redisClient)) });
    } catch (err) {
      return check.down({ message: err instanceof Error ? err.message : String(err) });
    }
  }
}
