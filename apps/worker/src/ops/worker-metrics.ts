import { Inject, Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { JobName, QueueName, TenantRef } from '#contracts';
import { METRICS } from '#observability';
import { WORKER_CONFIG } from '../tokens.js';
import type { WorkerConfig } from '../config.js';

/** How a job attempt ended: done, failed for good, or failed to be retried. */
export type JobOutcome = 'completed' | 'failed' | 'retried';

/**
 * What a worker counts (docs/operations.md, Metrics). Tables are labelled by name: tables are shared by name across
 * the fleet, so their number is the schema's, not the tenants'. A database label only with METRICS_PER_DATABASE.
 */
@Injectable()
export class WorkerMetrics {
  private readonly jobs: Counter<'queue' | 'outcome'>;
  private readonly duration: Histogram<'queue'>;
  private readonly wait: Histogram<'queue'>;
  private readonly batchRows: Histogram<'job_type'>;
  private readonly applied: Counter<string>;
  private readonly quarantined: Counter<string>;
  private readonly checkedRows: Counter<string>;
  private readonly checkSeconds: Counter<string>;
  private readonly perDatabase: boolean;

  constructor(@Inject(METRICS) registry: Registry, @Inject(WORKER_CONFIG) config: WorkerConfig) {
    this.perDatabase = config.METRICS_PER_DATABASE;
    const registers = [registry];
    const tableLabels = this.perDatabase ? ['table', 'database'] : ['table'];
    this.jobs = new Counter({
      name: 'rowferry_jobs_total',
      help: 'Job attempts by queue and how they ended (completed, failed for good, failed to be retried)',
      labelNames: ['queue', 'outcome'],
      registers,
    });
    this.duration = new Histogram({
      name: 'rowferry_job_duration_seconds',
      help: 'How long a job attempt ran in the worker',
      labelNames: ['queue'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.wait = new Histogram({
      name: 'rowferry_job_wait_seconds',
      help: 'How long a job waited in its queue before a worker took it',
      labelNames: ['queue'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.batchRows = new Histogram({
      name: 'rowferry_batch_rows',
      help: 'Rows a batch carried (uploads and deletes by keys)',
      labelNames: ['job_type'],
      buckets: [1, 10, 100, 1000, 2000, 5000, 10_000, 20_000, 50_000],
      registers,
    });
    this.applied = new Counter({
      name: 'rowferry_rows_applied_total',
      help: 'Rows written or deleted by batches that applied',
      labelNames: tableLabels,
      registers,
    });
    this.quarantined = new Counter({
      name: 'rowferry_rows_quarantined_total',
      help: 'Rows set aside in the quarantine because PostgreSQL refused them',
      labelNames: tableLabels,
      registers,
    });
    this.checkedRows = new Counter({
      name: 'rowferry_check_rows_total',
      help: 'Rows the difference check read (range hashes), what an idle fleet costs',
      labelNames: tableLabels,
      registers,
    });
    this.checkSeconds = new Counter({
      name: 'rowferry_check_seconds_total',
      help: 'Seconds the workers spent on the difference check (range hashes)',
      labelNames: tableLabels,
      registers,
    });
  }

  /** A range hash of the difference check answered: the rows it read, and how long it took. */
  checked(at: { tenant: TenantRef; table: string }, rows: number, seconds: number): void {
    const labels = this.perDatabase ? { table: at.table, database: at.tenant.databaseId } : { table: at.table };
    this.checkedRows.inc(labels, rows);
    this.checkSeconds.inc(labels, seconds);
  }

  /** One job attempt ended; its times are BullMQ's own. */
  jobEnded(
    queue: QueueName,
    outcome: JobOutcome,
    job: Pick<Job, 'timestamp' | 'processedOn' | 'finishedOn' | 'attemptsStarted'>,
  ): void {
    this.jobs.inc({ queue, outcome });
    if (!job.processedOn) return;
    // A retry's start is after its backoff: only a first attempt says how long the queue kept it waiting.
    if (job.attemptsStarted <= 1) this.wait.observe({ queue }, Math.max(0, job.processedOn - job.timestamp) / 1000);
    this.duration.observe({ queue }, Math.max(0, (job.finishedOn ?? Date.now()) - job.processedOn) / 1000);
  }

  /** A batch that writes was applied (rows it carried, rows applied, rows quarantined). */
  batchApplied(
    jobType: JobName,
    at: { tenant: TenantRef; table: string },
    rows: { sent: number; applied: number; quarantined: number },
  ): void {
    if (rows.sent > 0) this.batchRows.observe({ job_type: jobType }, rows.sent);
    const labels = this.perDatabase ? { table: at.table, database: at.tenant.databaseId } : { table: at.table };
    if (rows.applied > 0) this.applied.inc(labels, rows.applied);
    if (rows.quarantined > 0) this.quarantined.inc(labels, rows.quarantined);
  }
}
