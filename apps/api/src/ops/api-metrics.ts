import { Inject, Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { QUEUE_NAMES, type TenantRef } from '#contracts';
import { METRICS } from '#observability';
import { readRedisMemory, type RedisClient } from '#queues';
import type { ApiConfig } from '../config.js';
import { JobQueues } from '../jobs/job-queues.js';
import { API_CONFIG, REDIS } from '../tokens.js';

/** BullMQ's states as the depth gauge shows them (waiting counts plain and prioritized jobs alike). */
const DEPTH_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;

/**
 * What the API counts (docs/operations.md, Metrics): requests by route, the fair share's refusals, and, read from
 * Redis when scraped, the queues' depth, the age of their oldest waiting job and Redis' memory. Routes are labelled
 * by their pattern, never by the ids in the path; a database label only with METRICS_PER_DATABASE.
 */
@Injectable()
export class ApiMetrics {
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly latency: Histogram<'method' | 'route'>;
  private readonly refusals: Counter<string>;
  private readonly perDatabase: boolean;

  constructor(
    @Inject(METRICS) registry: Registry,
    queues: JobQueues,
    @Inject(REDIS) redis: RedisClient,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    const registers = [registry];
    this.perDatabase = config.METRICS_PER_DATABASE;
    this.requests = new Counter({
      name: 'rowferry_http_requests_total',
      help: 'HTTP requests answered, by route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'rowferry_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by route pattern',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.refusals = new Counter({
      name: 'rowferry_fair_share_refusals_total',
      help: 'Jobs refused with 429 because their database had its share in flight (by database with METRICS_PER_DATABASE)',
      labelNames: this.perDatabase ? ['database'] : [],
      registers,
    });
    new Gauge({
      name: 'rowferry_queue_jobs',
      help: 'Jobs in each queue by state',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        for (const queue of QUEUE_NAMES) {
          const c = await queues.of(queue).getJobCounts('wait', 'prioritized', ...DEPTH_STATES.slice(1));
          for (const state of DEPTH_STATES)
            this.set({ queue, state }, state === 'waiting' ? (c.wait ?? 0) + (c.prioritized ?? 0) : (c[state] ?? 0));
        }
      },
    });
    new Gauge({
      name: 'rowferry_queue_oldest_waiting_seconds',
      help: 'Age of the oldest job waiting to run in each queue (0: none waits)',
      labelNames: ['queue'],
      registers,
      async collect() {
        for (const queue of QUEUE_NAMES) {
          const t = await queues.oldestWaiting(queue);
          this.set({ queue }, t === undefined ? 0 : Math.max(0, Date.now() - t) / 1000);
        }
      },
    });
    new Gauge({
      name: 'rowferry_redis_used_memory_bytes',
      help: "Redis' used memory: every queued job's rows live there, and it must not evict them",
      registers,
      async collect() {
        this.set((await readRedisMemory(redis)).usedMemoryBytes);
      },
    });
  }

  /** Counts every request when its answer is sent, under the pattern of the route that matched it. */
  readonly httpMiddleware = (req: Request, res: Response, next: NextFunction): void => {
    const started = performance.now();
    res.once('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      this.requests.inc({ method: req.method, route, status: String(res.statusCode) });
      this.latency.observe({ method: req.method, route }, (performance.now() - started) / 1000);
    });
    next();
  };

  fairShareRefused(tenant: TenantRef): void {
    if (this.perDatabase) this.refusals.inc({ database: tenant.databaseId });
    else this.refusals.inc();
  }
}
