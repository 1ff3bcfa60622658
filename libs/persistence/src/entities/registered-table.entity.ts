import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { ColumnDef } from '#contracts';

/** A table one database syncs, with the column definitions its agent declared. */
@Entity({ name: 'registered_tables' })
export class RegisteredTable {
  @PrimaryColumn({ name: 'database_id', type: 'uuid' })
  databaseId!: string;

  @PrimaryColumn({ name: 'table_name', type: 'text' })
  tableName!: string;

  @Column({ type: 'jsonb' })
  columns!: ColumnDef[];

  @Column({ name: 'key_columns', type: 'jsonb' })
  keyColumns!: string[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
