import type { ModuleRef } from '@nestjs/core';
import { EventEmitter } from 'node:events';
import { Registry } from 'prom-client';
import { QUEUE_NAMES, type QueueName } from '#contracts';
import type { WorkerConfig } from '../config.js';
import { WorkerMetrics } from '../ops/worker-metrics.js';
import { PROCESSORS } from './processors.js';
import { ProcessorsLifecycle } from './processors-lifecycle.js';

const ALL = { WORKER_QUEUES: QUEUE_NAMES };
const metrics = () => new WorkerMetrics(new Registry(), { METRICS_PER_DATABASE: false } as WorkerConfig);

/** A module whose processors' workers consume the queues named here (undefined: the processor has no worker). */
function moduleWith(
  consumes: (name: QueueName) => string | undefined,
  closed: string[] = [],
  workers = new Map<string, EventEmitter>(),
): ModuleRef {
  const byType = new Map(Object.entries(PROCESSORS).map(([name, type]) => [type, name as QueueName]));
  return {
    get: (type: never) => {
      const queue = consumes(byType.get(type)!);
      if (queue !== undefined && !workers.has(queue))
        workers.set(
          queue,
          Object.assign(new EventEmitter(), {
            name: queue,
            close: async () => void closed.push(queue),
            isRunning: () => !closed.includes(queue),
          }),
        );
      return { constructor: type, worker: queue === undefined ? undefined : workers.get(queue) };
    },
  } as unknown as ModuleRef;
}

describe('the processors of the job map', () => {
  it('start when every queue has a worker of its own', () => {
    expect(() =>
      new ProcessorsLifecycle(
        moduleWith((name) => name),
        metrics(),
        ALL,
      ).onApplicationBootstrap(),
    ).not.toThrow();
  });

  it('refuse to start when a processor is bound to another queue, naming the queue left without a worker', () => {
    const lifecycle = new ProcessorsLifecycle(
      moduleWith((name) => (name === 'delete' ? 'upload' : name)),
      metrics(),
      ALL,
    );
    expect(() => lifecycle.onApplicationBootstrap()).toThrow(
      'no worker consumes queue "delete": its processor DeleteProcessor is bound to "upload"',
    );
  });

  it('refuse to start when a processor has no worker', () => {
    const lifecycle = new ProcessorsLifecycle(
      moduleWith((name) => (name === 'range-hash' ? undefined : name)),
      metrics(),
      ALL,
    );
    expect(() => lifecycle.onApplicationBootstrap()).toThrow(
      'no worker consumes queue "range-hash": its processor RangeHashProcessor is bound to "nothing"',
    );
  });

  it('of a worker for some queues (WORKER_QUEUES) start with those alone, and drain only them', async () => {
    const closed: string[] = [];
    const lifecycle = new ProcessorsLifecycle(
      moduleWith((name) => (name === 'upload-express' ? name : undefined), closed),
      metrics(),
      { WORKER_QUEUES: ['upload-express'] },
    );
    expect(() => lifecycle.onApplicationBootstrap()).not.toThrow();
    await lifecycle.beforeApplicationShutdown('SIGTERM');
    expect(closed).toEqual(['upload-express']);
  });

  it('close every worker at shutdown', async () => {
    const closed: string[] = [];
    const lifecycle = new ProcessorsLifecycle(
      moduleWith((name) => name, closed),
      metrics(),
      ALL,
    );
    expect(lifecycle.stopped()).toEqual([]);
    await lifecycle.beforeApplicationShutdown('SIGTERM');
    expect(closed.sort()).toEqual(['delete', 'manifest-check', 'range-hash', 'upload', 'upload-express']);
    expect(lifecycle.stopped().sort()).toEqual(['delete', 'manifest-check', 'range-hash', 'upload', 'upload-express']);
  });

  it('count every job attempt by queue and outcome, with its wait and run time', async () => {
    const registry = new Registry();
    const workers = new Map<string, EventEmitter>();
    new ProcessorsLifecycle(
      moduleWith((name) => name, [], workers),
      new WorkerMetrics(registry, { METRICS_PER_DATABASE: false } as WorkerConfig),
      ALL,
    ).onApplicationBootstrap();
    const t = 1_000_000;
    const job = { timestamp: t, processedOn: t + 250, finishedOn: t + 1500, attemptsStarted: 1 };
    workers.get('upload')!.emit('completed', job);
    workers.get('upload')!.emit('failed', { ...job, finishedOn: undefined }, new Error('passing'));
    workers.get('upload')!.emit('failed', { ...job, attemptsStarted: 2 }, new Error('refused'));
    workers.get('delete')!.emit('failed', undefined, new Error('the worker itself'));
    const text = await registry.metrics();
    expect(text).toContain('rowferry_jobs_total{queue="upload",outcome="completed"} 1');
    expect(text).toContain('rowferry_jobs_total{queue="upload",outcome="retried"} 1');
    expect(text).toContain('rowferry_jobs_total{queue="upload",outcome="failed"} 1');
    expect(text).not.toContain('queue="delete"');
    // Waits of first attempts only (a retry's start comes after its backoff); a run time for every attempt.
    expect(text).toContain('rowferry_job_wait_seconds_count{queue="upload"} 2');
    expect(text).toContain('rowferry_job_wait_seconds_sum{queue="upload"} 0.5');
    expect(text).toContain('rowferry_job_duration_seconds_count{queue="upload"} 3');
    expect(text).toContain('rowferry_job_duration_seconds_bucket{le="1",queue="upload"} 0');
  });
});
