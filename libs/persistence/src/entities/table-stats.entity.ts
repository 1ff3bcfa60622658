import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Per-table counters the workers keep current as jobs apply (see table-stats.ts for the writes). */
@Entity({ name: 'table_stats' })
export class TableStats {
  @PrimaryColumn({ name: 'database_id', type: 'uuid' })
  databaseId!: string;

  @PrimaryColumn({ name: 'table_name', type: 'text' })
  tableName!: string;

  @Column({ name: 'customer_id', type: 'uuid' })
  customerId!: string;

  @Column({ name: 'row_count', type: 'bigint' })
  rowCount!: string;

  @Column({ name: 'max_version', type: 'bigint' })
  maxVersion!: string;

  @Column({ name: 'applied_through', type: 'bigint' })
  appliedThrough!: string;

  @Column({ name: 'pending_ranges', type: 'jsonb' })
  pendingRanges!: { after: string; upTo: string }[];

  @Column({ name: 'last_modified_at', type: 'timestamptz', nullable: true })
  lastModifiedAt!: Date | null;

  /** Bumped by every range delete; jobs made in an earlier timeline are refused (see table-stats.ts). */
  @Column({ type: 'bigint' })
  timeline!: string;

  /** Where re-sending the existing rows after columns were added has got to; null when no backfill is pending. */
  @Column({ name: 'backfill_from', type: 'bigint', nullable: true })
  backfillFrom!: string | null;
}
