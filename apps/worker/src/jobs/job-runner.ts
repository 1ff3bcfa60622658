import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import type { Pool, PoolClient } from 'pg';
import type { JobName, TenantRef } from '#contracts';
import { classifyPgError, describePgError, recordBatch, StaleTimelineError, withTenant } from '#persistence';
import { WorkerMetrics } from '../ops/worker-metrics.js';
import { PG_POOL } from '../tokens.js';

/** Which attempt of which job this is, for the batch history. */
export interface JobMeta {
  jobId: string;
  attempt: number;
}

/** What the batch history records of a job that writes: its kind, size, and what its result applied and set aside. */
export interface Recorded<T> {
  jobType: JobName;
  meta: JobMeta;
  rows: number;
  bytes: number;
  applied: (result: T) => number;
  quarantined: (result: T) => number;
}

/**
 * Runs a job's work in one transaction scoped to its tenant, turning PostgreSQL's errors into retry decisions, and
 * records the attempts of jobs that write in the batch history. Every job service goes through here.
 */
@Injectable()
export class JobRunner implements OnApplicationShutdown {
  private readonly log = new Logger('worker');

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly metrics: WorkerMetrics,
  ) {}

  /**
   * Statement-level refusals fail at once with PostgreSQL's own words; so does a statement that ran out of time.
   * Anything else (a lost connection, a deadlock) is retried with backoff, under a message that tells the tenant
   * what happened without the driver's internals (hosts, addresses): those go to the worker's log.
   */
  async inTenant<T>(tenant: TenantRef, what: string, work: (c: PoolClient) => Promise<T>): Promise<T> {
    try {
      return await withTenant(this.pool, tenant, work);
    } catch (err) {
      if (err instanceof StaleTimelineError) throw new UnrecoverableError(`${what}: ${err.message}`);
      switch (classifyPgError(err)) {
        case 'over-budget':
          throw new UnrecoverableError(
            `${what} ran longer than the statement timeout and was stopped: ask for less work a job`,
          );
        case 'transient':
          this.log.warn(`${what} for database ${tenant.databaseId} failed, to be retried: ${describePgError(err)}`);
          throw new Error(
            `${what} failed on a passing fault (the cloud database was unreachable, restarting or busy); it is retried`,
            { cause: err },
          );
        default:
          throw new UnrecoverableError(`${what} was refused by PostgreSQL: ${describePgError(err)}`);
      }
    }
  }

  /** As inTenant, and every attempt goes into the batch history, failures included. */
  async recorded<T>(
    job: { tenant: TenantRef; table: string },
    what: string,
    record: Recorded<T>,
    work: (c: PoolClient) => Promise<T>,
  ): Promise<T> {
    const started = performance.now();
    const base = {
      tenant: job.tenant,
      table: job.table,
      jobType: record.jobType,
      jobId: record.meta.jobId,
      attempt: record.meta.attempt,
      rows: record.rows,
      bytes: record.bytes,
    };
    try {
      const result = await this.inTenant(job.tenant, what, work);
      const q = record.quarantined(result);
      await withTenant(this.pool, job.tenant, (c) =>
        recordBatch(c, {
          ...base,
          durationMs: performance.now() - started,
          outcome: q ? 'partial' : 'applied',
          quarantined: q,
        }),
      );
      this.metrics.batchApplied(record.jobType, job, {
        sent: record.rows,
        applied: record.applied(result),
        quarantined: q,
      });
      return result;
    } catch (err) {
      const errorClass = err instanceof UnrecoverableError ? 'schema' : 'transient';
      await withTenant(this.pool, job.tenant, (c) =>
        recordBatch(c, {
          ...base,
          durationMs: performance.now() - started,
          outcome: 'failed',
          quarantined: 0,
          errorClass,
          error: err instanceof Error ? err.message : String(err),
        }),
      ).catch(
        () => undefined, // the database may be what failed; the job's own failure is what matters
      );
      throw err;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
