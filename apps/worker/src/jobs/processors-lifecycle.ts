import type { WorkerHost } from '@nestjs/bullmq';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { QueueName } from '#contracts';
import { drainWorkers } from '#queues';
import type { WorkerConfig } from '../config.js';
import { WorkerMetrics } from '../ops/worker-metrics.js';
import { WORKER_CONFIG } from '../tokens.js';
import { PROCESSORS } from './processors.js';

/**
 * The processors' start and end. At start, every queue this worker is for (WORKER_QUEUES) must have a running
 * worker consuming it (a processor bound to the wrong queue fails here, not by leaving a queue to grow). On SIGTERM,
 * stop taking jobs and let the active ones finish before anything they use (the PostgreSQL pool) is closed:
 * before-shutdown hooks all complete before the shutdown hooks that close resources run. In between, every job
 * attempt's end is counted.
 */
@Injectable()
export class ProcessorsLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('worker');

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly metrics: WorkerMetrics,
    @Inject(WORKER_CONFIG) private readonly config: Pick<WorkerConfig, 'WORKER_QUEUES'>,
  ) {}

  onApplicationBootstrap(): void {
    for (const [name, host] of this.hosts()) {
      if (host.worker?.name !== name)
        throw new Error(
          `no worker consumes queue "${name}": its processor ${host.constructor.name} is bound to "${host.worker?.name ?? 'nothing'}"`,
        );
      host.worker.on('completed', (job) => this.metrics.jobEnded(name, 'completed', job));
      host.worker.on('failed', (job) => {
        if (!job) return; // a failure of the worker itself, not of a job: logged by BullMQ's error event
        // BullMQ sets finishedOn only when the job has failed for good, not when it will be retried.
        this.metrics.jobEnded(name, job.finishedOn ? 'failed' : 'retried', job);
      });
    }
  }

  /** Queues whose worker is not consuming (closed, or never started): a worker with any is not healthy. */
  stopped(): QueueName[] {
    return this.hosts()
      .filter(([, host]) => !host.worker?.isRunning())
      .map(([name]) => name);
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.log.log(`${signal ?? 'shutdown'}: finishing active jobs`);
    await drainWorkers(this.hosts().map(([, host]) => host.worker));
    this.log.log('active jobs finished');
  }

  private hosts(): [QueueName, WorkerHost][] {
    return this.config.WORKER_QUEUES.map((name) => [name, this.moduleRef.get(PROCESSORS[name], { strict: false })]);
  }
}
