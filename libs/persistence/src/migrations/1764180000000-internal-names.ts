import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Internal objects of the data schema (partitions, their indexes, primary keys) were named `rf_<md5>_…` and
 * `<table>_pkey`, names a tenant could register as tables of its own. They become `rf$<md5>_…`: no registrable
 * table name holds a "$". Only objects that belong to a data table are renamed, never a tenant's table.
 */
export class InternalNames1764180000000 implements MigrationInterface {
  name = 'InternalNames1764180000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DO $$
      DECLARE
        t record;
        o record;
        old_stem text;
        new_stem text;
      BEGIN
        FOR t IN SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = 'rowferry_data' AND c.relkind = 'p' LOOP
          old_stem := 'rf_' || left(md5(t.relname), 16);
          new_stem := 'rf$' || left(md5(t.relname), 16);
          FOR o IN SELECT conname FROM pg_constraint WHERE conrelid = t.oid AND contype = 'p' LOOP
            EXECUTE format('ALTER TABLE rowferry_data.%I RENAME CONSTRAINT %I TO %I', t.relname, o.conname, new_stem || '_pkey');
          END LOOP;
          -- the partitions, then the indexes of the table and of its partitions
          FOR o IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                    WHERE i.inhparent = t.oid AND c.relkind = 'r' AND left(c.relname, length(old_stem)) = old_stem LOOP
            EXECUTE format('ALTER TABLE rowferry_data.%I RENAME TO %I', o.relname, new_stem || substr(o.relname, length(old_stem) + 1));
          END LOOP;
          FOR o IN SELECT ic.relname FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid
                    WHERE (x.indrelid = t.oid OR x.indrelid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = t.oid))
                      AND left(ic.relname, length(old_stem)) = old_stem LOOP
            EXECUTE format('ALTER INDEX rowferry_data.%I RENAME TO %I', o.relname, new_stem || substr(o.relname, length(old_stem) + 1));
          END LOOP;
        END LOOP;
      END $$`);
  }

  async down(): Promise<void> {
    // The old names were the problem; nothing to go back to.
  }
}
