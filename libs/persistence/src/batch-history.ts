import type { JobName, TenantRef } from '#contracts';
import type { BatchOutcome } from '#sync';
import type { Queryable } from './queryable.js';

/** One attempt of a job, as the batch history keeps it. */
export interface BatchAttempt {
  tenant: TenantRef;
  table: string;
  jobType: JobName;
  jobId: string;
  attempt: number;
  rows: number;
  bytes: number;
  durationMs: number;
  outcome: BatchOutcome;
  quarantined: number;
  errorClass?: string;
  error?: string;
}

/** Records one batch, outside the job's own transaction so a failure is recorded too. */
export async function recordBatch(db: Queryable, b: BatchAttempt): Promise<void> {
  await db.query(
    `INSERT INTO batch_history (database_id, customer_id, table_name, job_type, job_id, attempt, rows, bytes, duration_ms, outcome, quarantined, error_class, error)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      b.tenant.databaseId,
      b.tenant.customerId,
      b.table,
      b.jobType,
      b.jobId,
      b.attempt,
      b.rows,
      b.bytes,
      Math.round(b.durationMs),
      b.outcome,
      b.quarantined,
      b.errorClass ?? null,
      b.error ?? null,
    ],
  );
}
