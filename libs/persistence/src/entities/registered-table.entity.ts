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

  /** Set when this database's latest definition was refused (key or type change); the table syncs as before. */
  @Column({ name: 'schema_error', type: 'text', nullable: true })
  schemaError!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
