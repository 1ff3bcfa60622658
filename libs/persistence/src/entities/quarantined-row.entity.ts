import { Column, Entity } from 'typeorm';
import { TenantTableEntry } from './tenant-table-entry.js';

/** A row the target refused, kept exactly as sent with PostgreSQL's reason, until a newer version applies. */
@Entity({ name: 'quarantine' })
export class QuarantinedRow extends TenantTableEntry {
  @Column({ name: 'row_key', type: 'text' })
  rowKey!: string;

  @Column({ type: 'bigint' })
  version!: string;

  @Column({ type: 'json' })
  row!: Record<string, unknown>;

  @Column({ type: 'text' })
  error!: string;

  @Column({ name: 'first_seen', type: 'timestamptz' })
  firstSeen!: Date;

  @Column({ name: 'last_seen', type: 'timestamptz' })
  lastSeen!: Date;

  @Column({ type: 'int' })
  attempts!: number;
}
