import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A row refused because its key is too long to index (SQLSTATE 54000) must still fit the quarantine: entries are
 * unique by the md5 of their key, which is also how they are looked up (SQL in quarantine.ts).
 */
export class QuarantineLongKeys1764160000000 implements MigrationInterface {
  name = 'QuarantineLongKeys1764160000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE quarantine DROP CONSTRAINT quarantine_database_id_table_name_row_key_version_key`);
    await q.query(
      `CREATE UNIQUE INDEX quarantine_key_version ON quarantine (database_id, table_name, md5(row_key), version)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX quarantine_key_version`);
    await q.query(
      `ALTER TABLE quarantine ADD CONSTRAINT quarantine_database_id_table_name_row_key_version_key UNIQUE (database_id, table_name, row_key, version)`,
    );
  }
}
