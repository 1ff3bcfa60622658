import pg from 'pg';
import type { QueryRunner } from 'typeorm';
import { freshRemoteDatabase } from '../../../../scripts/lib/databases.js';
import { internalName } from '../data-tables.js';
import { InternalNames1764180000000 } from './1764180000000-internal-names.js';

/** A data table made by an earlier release keeps working, with its internal objects renamed out of tenants' reach. */
describe('migration: internal names', () => {
  let db: Awaited<ReturnType<typeof freshRemoteDatabase>>;
  let pool: pg.Pool;
  beforeAll(async () => {
    db = await freshRemoteDatabase('internal_names');
    pool = new pg.Pool({ connectionString: db.url });
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  const names = async () =>
    (
      await pool.query<{ relname: string }>(
        `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'rowferry_data' ORDER BY c.relname::text COLLATE "C"`,
      )
    ).rows.map((r) => r.relname);

  it('renames partitions, indexes and primary keys of data tables, and leaves a tenant table with such a name alone', async () => {
    const old = internalName('orders').replace('rf$', 'rf_');
    // As the first release made them.
    await pool.query(
      `CREATE TABLE rowferry_data.orders (_rf_database uuid NOT NULL, id bigint NOT NULL, _rf_version bigint NOT NULL, PRIMARY KEY (_rf_database, id)) PARTITION BY HASH (_rf_database)`,
    );
    for (let i = 0; i < 2; i++)
      await pool.query(
        `CREATE TABLE rowferry_data."${old}_p${i}" PARTITION OF rowferry_data.orders FOR VALUES WITH (MODULUS 2, REMAINDER ${i})`,
      );
    await pool.query(`CREATE INDEX "${old}_version" ON rowferry_data.orders (_rf_database, _rf_version)`);
    // A tenant's own table that happens to be called like another table's partition.
    await pool.query(
      `CREATE TABLE rowferry_data."${internalName('other').replace('rf$', 'rf_')}_p0" (id bigint PRIMARY KEY)`,
    );
    await pool.query(`INSERT INTO rowferry_data.orders VALUES ('00000000-0000-4000-8000-000000000001', 1, 1)`);

    await new InternalNames1764180000000().up({ query: (sql: string) => pool.query(sql) } as unknown as QueryRunner);

    const stem = internalName('orders');
    const other = internalName('other').replace('rf$', 'rf_');
    expect(await names()).toEqual(
      [
        'orders',
        `${stem}_pkey`,
        `${stem}_p0`,
        `${stem}_p0__rf_database__rf_version_idx`,
        `${stem}_p0_pkey`,
        `${stem}_p1`,
        `${stem}_p1__rf_database__rf_version_idx`,
        `${stem}_p1_pkey`,
        `${stem}_version`,
        `${other}_p0`,
        `${other}_p0_pkey`,
      ].sort(),
    );
    expect((await pool.query('SELECT count(*)::int AS n FROM rowferry_data.orders')).rows[0].n).toBe(1);
  });
});
