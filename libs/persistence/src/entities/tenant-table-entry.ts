import { Column, PrimaryGeneratedColumn } from 'typeorm';

/** What every per-table log of a tenant starts with (batch history, quarantine): its id, whose table it is. */
export abstract class TenantTableEntry {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'database_id', type: 'uuid' })
  databaseId!: string;

  @Column({ name: 'customer_id', type: 'uuid' })
  customerId!: string;

  @Column({ name: 'table_name', type: 'text' })
  tableName!: string;
}
