import pg from 'pg';
import { contentCells, type ColumnDef, type TenantRef, type WireValue } from '#contracts';
import { freshRemoteDatabase } from '../../../scripts/lib/databases.js';
import { ensureDataTable } from './data-tables.js';
import { readContentRows, upsertRows } from './rows.js';
import { withTenant } from './tenant-transaction.js';

const tenant: TenantRef = {
  customerId: '00000000-0000-4000-8000-0000000000c2',
  databaseId: '10000000-0000-4000-8000-0000000000c2',
};

const columns: ColumnDef[] = [
  { name: 'id', type: 'bigint' },
  { name: 'n', type: 'numeric' },
  { name: 'd', type: 'double' },
  { name: 'ts', type: 'timestamp' },
  { name: 'tz', type: 'timestamptz' },
  { name: 'day', type: 'date' },
  { name: 'b', type: 'bytea' },
  { name: 'f', type: 'boolean' },
  { name: 'j', type: 'json' },
  { name: 'u', type: 'uuid' },
  { name: 't', type: 'text' },
  { name: 'v', type: 'text', length: 8 },
];

/**
 * Values as the three engines' agents send them (docs/architecture.md, Wire format): each row's content cells, computed
 * by the agent from the wire value and by the worker from what PostgreSQL stored and prints, must be the same bytes.
 */
const rows: WireValue[][] = [
  [
    '1',
    '1.50',
    0.1,
    '2024-02-29 12:00:00',
    '2024-02-29 12:00:00+05:30',
    '2024-02-29',
    'AAEC',
    true,
    '{"b": 1, "a": [1, 2.5, "x"]}',
    'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
    'Zürich',
    'ß',
  ],
  [
    '2',
    '1e3',
    'Infinity',
    '1900-01-01 00:00:00.000001',
    '1969-07-20 20:17:40.123456+00',
    '0001-01-01',
    '',
    false,
    '[]',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12',
    '',
    '',
  ],
  [
    '3',
    '-0',
    'NaN',
    '2262-04-11T23:47:16.854775',
    '2038-01-19T03:14:07.999999Z',
    '9999-12-31',
    Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('base64'),
    true,
    '"just a string"',
    null,
    'emoji 😀 and e\u0301',
    'abc',
  ],
  [
    '4',
    '0.000100',
    -2.5e-300,
    '2024-02-29 12:00:00.5',
    '2024-02-29 06:30:00',
    '1969-07-20',
    'AA==',
    false,
    '{"a": {"z": 1, "y": null}, "aa": true}',
    null,
    'quote " and \\ and \t tab',
    null,
  ],
  [
    '5',
    '12345678901234567890.1234567890',
    1.7976931348623157e308,
    null,
    '1999-12-31 23:59:59.999999-08:00',
    null,
    null,
    null,
    '{"n": 1.0, "big": 12345678901234567890}',
    null,
    null,
    null,
  ],
  [
    '6',
    '-123.4500',
    -0,
    null,
    '2024-06-01 00:00:00+0130',
    null,
    null,
    null,
    '[1, [2, {"k": "v"}]]',
    null,
    'x'.repeat(300),
    null,
  ],
  ['7', '0', 1e21, null, null, null, null, null, 'null', null, null, null],
  ['8', '+7', 123456789012345680000, null, null, null, null, null, '{}', null, null, null],
  ['9', null, 5e-324, null, null, null, null, null, null, null, null, null],
];

describe('content digests: the agent and the worker hash the same content alike', () => {
  let db: Awaited<ReturnType<typeof freshRemoteDatabase>>;
  let pool: pg.Pool;
  beforeAll(async () => {
    db = await freshRemoteDatabase('content');
    pool = new pg.Pool({ connectionString: db.url });
    await ensureDataTable(pool, 'content_check', { columns, key: ['id'] });
    await withTenant(pool, tenant, (c) =>
      upsertRows(c, {
        tenant,
        table: 'content_check',
        key: [columns[0]],
        columns,
        rows: {
          columns: columns.map((c) => c.name),
          values: columns.map((_, i) => rows.map((r) => r[i])),
          versions: rows.map((_, i) => String(10 + i)),
        },
      }),
    );
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  const read = () =>
    withTenant(pool, tenant, (c) =>
      readContentRows(
        c,
        { tenant, table: 'content_check', key: [columns[0]], ranges: [{ after: '0', upTo: '100' }], columns },
        1000,
      ),
    );
  const types = columns.map((c) => c.type);

  it.each(rows.map((r) => [r[0], r]))('row %s: the same content cells on both sides', async (id, row) => {
    const remote = (await read())!.find((r) => r.keyParts[0] === id)!;
    expect(contentCells(types, remote.values)).toBe(contentCells(types, row));
  });

  it('a value changed in the cloud database changes the cells, per type', async () => {
    const before = (await read())!;
    await pool.query(
      `UPDATE rowferry_data.content_check SET n = n + 0.001, d = 0.2, ts = ts + interval '1 microsecond',
         tz = tz + interval '1 second', day = day - 1, b = b || '\\x00'::bytea, f = NOT f, j = '{"b": 2}',
         t = t || ' ', v = upper(v) || 'x'
       WHERE id = 1`,
    );
    const after = (await read())!;
    const cells = (rs: typeof before, id: string) =>
      rs.find((r) => r.keyParts[0] === id)!.values.map((v, i) => contentCells([types[i]], [v]));
    const changed = cells(before, '1').map((c, i) => c !== cells(after, '1')[i]);
    expect(columns.filter((_, i) => changed[i]).map((c) => c.name)).toEqual([
      'n',
      'd',
      'ts',
      'tz',
      'day',
      'b',
      'f',
      'j',
      't',
      'v',
    ]);
  });

  it('loads no more rows than asked for: over the limit says so', async () => {
    const over = await withTenant(pool, tenant, (c) =>
      readContentRows(
        c,
        { tenant, table: 'content_check', key: [columns[0]], ranges: [{ after: '0', upTo: '100' }], columns },
        3,
      ),
    );
    expect(over).toBeUndefined();
  });
});
