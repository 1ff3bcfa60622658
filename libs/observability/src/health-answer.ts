import { ServiceUnavailableException } from '@nestjs/common';
import type { HealthCheckResult, HealthCheckService, HealthIndicatorFunction } from '@nestjs/terminus';

/**
 * A health answer for everyone: ok or not, nothing more (a stranger learns no hosts, no sizes); with `detailed`
 * (an ops credential), what each check found. 503 when any check fails.
 */
export async function answerHealth(
  health: HealthCheckService,
  checks: HealthIndicatorFunction[],
  detailed: boolean,
): Promise<HealthCheckResult | { status: 'ok' }> {
  try {
    const result = await health.check(checks);
    return detailed ? result : { status: 'ok' };
  } catch (err) {
    if (detailed) throw err;
    throw new ServiceUnavailableException({ status: 'error' });
  }
}
