import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Why a tenant's table definition was refused (a key or type change), shown with its version info. */
export class SchemaErrors1764150000000 implements MigrationInterface {
  name = 'SchemaErrors1764150000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE registered_tables ADD COLUMN schema_error text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE registered_tables DROP COLUMN schema_error`);
  }
}
