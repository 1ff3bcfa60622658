import { Column, Entity } from 'typeorm';
import { TenantTableEntry } from './tenant-table-entry.js';
import type { BatchOutcome } from '#sync';

/** One applied or failed batch: what batch-size tuning learns from and what ops read. */
@Entity({ name: 'batch_history' })
export class BatchRecord extends TenantTableEntry {
  @Column({ name: 'job_type', type: 'text' })
  jobType!: string;

  @Column({ name: 'job_id', type: 'text' })
  jobId!: string;

  @Column({ type: 'int' })
  attempt!: number;

  @Column({ type: 'int' })
  rows!: number;

  @Column({ type: 'bigint' })
  bytes!: string;

  @Column({ name: 'duration_ms', type: 'int' })
  durationMs!: number;

  @Column({ type: 'text' })
  outcome!: BatchOutcome;

  @Column({ type: 'int' })
  quarantined!: number;

  @Column({ name: 'error_class', type: 'text', nullable: true })
  errorClass!: string | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ type: 'timestamptz' })
  at!: Date;
}
