import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A row the target refused, kept exactly as sent with PostgreSQL's reason, until a newer version applies. */
@Entity({ name: 'quarantine' })
export class QuarantinedRow {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'database_id', type: 'uuid' })
  databaseId!: string;

  @Column({ name: 'customer_id', type: 'uuid' })
  customerId!: string;

  @Column({ name: 'table_name', type: 'text' })
  tableName!: string;

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
