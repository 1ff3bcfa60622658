import {
  Controller,
  Get,
  Headers,
  Inject,
  Module,
  NotFoundException,
  Res,
  UnauthorizedException,
  type DynamicModule,
} from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { bearerToken, hashSecret, secretMatches } from '#contracts';

/** The process's Prometheus registry, injected wherever a metric is defined. */
export const METRICS = Symbol('metrics registry');

/** The ops credential (`METRICS_TOKEN`): it scrapes `/metrics`, and shows what a health check found. */
export class MetricsToken {
  private readonly hash: string | undefined;

  constructor(token: string | undefined) {
    this.hash = token ? hashSecret(token) : undefined;
  }

  get set(): boolean {
    return this.hash !== undefined;
  }

  /** Whether an Authorization header carries it as a bearer token (never, while it is unset). */
  carriedBy(authorization: string | undefined): boolean {
    const token = bearerToken(authorization);
    return !!token && !!this.hash && secretMatches(token, this.hash);
  }
}

export interface MetricsOptions {
  /** Which service this is: a label on every series, so one Prometheus tells the API from the workers. */
  service: 'api' | 'worker';
  /**
   * The scrape credential (`Authorization: Bearer …`), its own so that Prometheus holds no admin rights. Unset: the
   * endpoint answers 404 (closed, not open).
   */
  token: string | undefined;
}

/** `GET /metrics` in Prometheus' text format, for the holder of the scrape token only. */
@ApiTags('ops')
@ApiBearerAuth('metrics')
@Controller('metrics')
export class MetricsController {
  constructor(
    @Inject(METRICS) private readonly registry: Registry,
    private readonly token: MetricsToken,
  ) {}

  @Get()
  async scrape(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    if (!this.token.set) throw new NotFoundException('metrics are off: set METRICS_TOKEN to scrape them');
    if (!this.token.carriedBy(authorization)) throw new UnauthorizedException('metrics token missing or wrong');
    res.setHeader('content-type', this.registry.contentType);
    return this.registry.metrics();
  }
}

/** The registry (with Node.js' own process metrics) and its endpoint; each app defines its metrics on the registry. */
@Module({})
export class MetricsModule {
  static forRoot(options: MetricsOptions): DynamicModule {
    const registry = new Registry();
    registry.setDefaultLabels({ service: options.service });
    collectDefaultMetrics({ register: registry });
    return {
      module: MetricsModule,
      global: true,
      controllers: [MetricsController],
      providers: [
        { provide: METRICS, useValue: registry },
        { provide: MetricsToken, useValue: new MetricsToken(options.token) },
      ],
      exports: [METRICS, MetricsToken],
    };
  }
}
