import pg from 'pg';
import type { ColumnDef, TableDefinition, TenantRef, UploadJob } from '#contracts';
import { freshRemoteDatabase } from '../../../scripts/lib/databases.js';
import { ensureDataTable, IncompatibleTableError } from './data-tables.js';
import { deleteRows, insertNewRows, readManifest, upsertRows } from './rows.js';
import { withTenant } from './tenant-transaction.js';

const A: TenantRef = {
  customerId: '00000000-0000-4000-8000-00000000000a',
  databaseId: '10000000-0000-4000-8000-00000000000a',
};
const B: TenantRef = {
  customerId: '00000000-0000-4000-8000-00000000000b',
  databaseId: '10000000-0000-4000-8000-00000000000b',
};

const def: TableDefinition = {
  columns: [
    { name: 'region', type: 'text' },
    { name: 'id', type: 'bigint' },
    { name: 'payload', type: 'bytea' },
    { name: 'price', type: 'numeric' },
    { name: 'at', type: 'timestamptz' },
  ],
  key: ['region', 'id'],
};
const key: ColumnDef[] = [def.columns[0], def.columns[1]];

function upload(
  tenant: TenantRef,
  rows: [string, string, string | null, string, string][],
  versions: string[],
): UploadJob {
  return {
    tenant,
    table: 'orders',
    key,
    columns: def.columns,
    rows: {
      columns: def.columns.map((c) => c.name),
      values: def.columns.map((_, i) => rows.map((r) => r[i])),
      versions,
    },
    bytes: 0,
  };
}

describe('data tables and bulk SQL (real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof freshRemoteDatabase>>;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = await freshRemoteDatabase('rows');
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
    await ensureDataTable(pool, 'orders', def);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  const all = async (tenant: TenantRef) =>
    withTenant(
      pool,
      tenant,
      async (c) =>
        (
          await c.query(
            `SELECT region, id::text, encode(payload,'base64') AS payload, price::text, _rf_version::text AS v FROM rowferry_data.orders ORDER BY region, id`,
          )
        ).rows,
    );

  it('upserts with a version guard: an older version never replaces a newer one', async () => {
    const r1 = await withTenant(pool, A, (c) =>
      upsertRows(
        c,
        upload(
          A,
          [
            ['eu', '1', 'AAE=', '1.50', '2024-01-01T00:00:00.123456Z'],
            ['eu', '11', null, '2', '2024-01-01T00:00:00Z'],
          ],
          ['5', '6'],
        ),
      ),
    );
    expect(r1).toMatchObject({ applied: 2, inserted: 2, skippedOlder: 0, maxVersion: 6n });
    const older = await withTenant(pool, A, (c) =>
      upsertRows(c, upload(A, [['eu', '1', null, '0', '2024-01-01T00:00:00Z']], ['4'])),
    );
    expect(older).toMatchObject({ applied: 0, skippedOlder: 1 });
    const again = await withTenant(pool, A, (c) =>
      upsertRows(c, upload(A, [['eu', '1', 'AAE=', '1.50', '2024-01-01T00:00:00.123456Z']], ['5'])),
    );
    expect(again).toMatchObject({ applied: 1, inserted: 0 });
    expect(await all(A)).toEqual([
      { region: 'eu', id: '1', payload: 'AAE=', price: '1.50', v: '5' },
      { region: 'eu', id: '11', payload: null, price: '2', v: '6' },
    ]);
  });

  it('keeps tenants apart in the database: a tenant-scoped session sees and changes only its rows', async () => {
    await withTenant(pool, B, (c) => upsertRows(c, upload(B, [['eu', '1', null, '9', '2024-01-01T00:00:00Z']], ['1'])));
    expect((await all(B)).map((r) => r.price)).toEqual(['9']);
    // B tries to write and delete A's rows: RLS refuses the write and hides the rows from the delete.
    await expect(
      withTenant(pool, B, (c) => upsertRows(c, upload(A, [['eu', '7', null, '1', '2024-01-01T00:00:00Z']], ['1']))),
    ).rejects.toThrow(/row-level security/);
    expect(await withTenant(pool, B, (c) => deleteRows(c, A, 'orders', key, { mode: 'all' }))).toBe(0);
    expect(await all(A)).toHaveLength(2);
  });

  it('deletes by key only rows whose version is not newer than the one seen', async () => {
    const keys = [
      ['eu', 'eu'],
      ['1', '11'],
    ];
    expect(
      await withTenant(pool, A, (c) => deleteRows(c, A, 'orders', key, { mode: 'keys', keys, versions: ['4', '6'] })),
    ).toBe(1);
    expect((await all(A)).map((r) => r.id)).toEqual(['1']);
  });

  it('reads the manifest of a version slice with canonical keys, and deletes above a version', async () => {
    await withTenant(pool, A, (c) =>
      upsertRows(
        c,
        upload(
          A,
          [
            ['us', '2', null, '1', '2024-01-01T00:00:00Z'],
            ['us', '3', null, '1', '2024-01-01T00:00:00Z'],
          ],
          ['7', '8'],
        ),
      ),
    );
    const m = await withTenant(pool, A, (c) =>
      readManifest(c, { tenant: A, table: 'orders', key, ranges: [{ after: '5', upTo: '8' }] }, 1000),
    );
    expect([...m!.entries()].sort()).toEqual([
      ['["us","2"]', 7n],
      ['["us","3"]', 8n],
    ]);
    // More rows than a job may load: nothing is loaded, the caller is told to ask for less.
    expect(
      await withTenant(pool, A, (c) =>
        readManifest(c, { tenant: A, table: 'orders', key, ranges: [{ after: '5', upTo: '8' }] }, 1),
      ),
    ).toBeUndefined();
    expect(await withTenant(pool, A, (c) => deleteRows(c, A, 'orders', key, { mode: 'above', version: '7' }))).toBe(1);
    expect((await all(A)).map((r) => r.v)).toEqual(['5', '7']);
  });

  it('adds new columns and refuses incompatible definitions with a clear error', async () => {
    await ensureDataTable(pool, 'orders', { ...def, columns: [...def.columns, { name: 'note', type: 'text' }] });
    await expect(
      ensureDataTable(pool, 'orders', {
        ...def,
        columns: [{ ...def.columns[0] }, { name: 'id', type: 'text' }],
        key: ['region', 'id'],
      }),
    ).rejects.toThrow(
      /column "id" of table "orders" is shared by name with other databases, with a type other than text/,
    );
    await expect(ensureDataTable(pool, 'orders', { ...def, key: ['id'] })).rejects.toThrow(IncompatibleTableError);
  });

  it('widens a shared key column only between string types: char(n) to text, never a date to text', async () => {
    const keyed = (type: 'date' | 'text' | 'char', length?: number) => ({
      columns: [{ name: 'k', type, ...(length ? { length } : {}) }],
      key: ['k'],
    });
    await ensureDataTable(pool, 'by_day', keyed('date'));
    await expect(ensureDataTable(pool, 'by_day', keyed('text'))).rejects.toThrow(
      /column "k" of table "by_day" is shared by name with other databases/,
    );
    await ensureDataTable(pool, 'by_code', keyed('char', 2));
    await ensureDataTable(pool, 'by_code', keyed('text', 2));
    const { rows } = await pool.query(
      `SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 'rowferry_data.by_code'::regclass AND attname = 'k'`,
    );
    expect(rows[0].t).toBe('character varying(2)');
  });

  it('inserts a batch of new rows without ON CONFLICT, and writes nothing when a key exists', async () => {
    const at = '2024-01-01 00:00:00+00';
    const fresh = upload(
      A,
      [
        ['new', '1', null, '1.5', at],
        ['new', '2', null, '2.5', at],
      ],
      ['500', '501'],
    );
    expect(await withTenant(pool, A, (c) => insertNewRows(c, fresh))).toEqual({
      applied: 2,
      inserted: 2,
      skippedOlder: 0,
      maxVersion: 501n,
    });
    const clash = upload(
      A,
      [
        ['new', '3', null, '3.5', at],
        ['new', '2', null, '9.9', at],
      ],
      ['502', '503'],
    );
    const [second, upserted] = await withTenant(pool, A, async (c) => [
      await insertNewRows(c, clash),
      await upsertRows(c, clash),
    ]);
    expect(second).toBeUndefined();
    expect(upserted).toMatchObject({ applied: 2, inserted: 1 });
    const rows = await withTenant(pool, A, (c) =>
      c.query(
        `SELECT id::text, price::text, _rf_version::text AS v FROM rowferry_data.orders WHERE region = 'new' ORDER BY id`,
      ),
    );
    expect(rows.rows).toEqual([
      { id: '1', price: '1.5', v: '500' },
      { id: '2', price: '9.9', v: '503' },
      { id: '3', price: '3.5', v: '502' },
    ]);
  });
});
