import { Controller, Get, Headers, Inject } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService, type HealthCheckResult } from '@nestjs/terminus';
import type { Pool } from 'pg';
import { answerHealth, MetricsToken } from '#observability';
import { ProcessorsLifecycle } from '../jobs/processors-lifecycle.js';
import { PG_POOL } from '../tokens.js';

/**
 * The worker's health on its ops port, for an orchestrator's check: PostgreSQL answers and every queue has a running
 * consumer. Anyone learns ok or not; the holder of the metrics token learns what failed.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly processors: ProcessorsLifecycle,
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly token: MetricsToken,
  ) {}

  @Get()
  async check(
    @Headers('authorization') authorization: string | undefined,
  ): Promise<HealthCheckResult | { status: 'ok' }> {
    const ops = this.token.carriedBy(authorization);
    return answerHealth(this.health, [() => this.postgres(), () => this.consumers()], ops);
  }

  private async postgres() {
    const check = this.indicator.check('postgres');
    try {
      await this.pool.query('SELECT 1');
      return check.up();
    } catch (err) {
      return check.down({ message: err instanceof Error ? err.message : String(err) });
    }
  }

  private consumers() {
    const check = this.indicator.check('queues');
    const stopped = this.processors.stopped();
    return stopped.length ? check.down({ stopped }) : check.up();
  }
}
