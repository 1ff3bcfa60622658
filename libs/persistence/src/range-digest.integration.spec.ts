import pg from 'pg';
import { canonicalKeyPart, type ColumnDef, type TenantRef, type WireValue } from '#contracts';
import { addToDigest, emptyDigest, rowHashInput } from '#sync';
import { freshRemoteDatabase } from '../../../scripts/lib/databases.js';
import { ensureDataTable } from './data-tables.js';
import { hashtextOf, readManifest, readRangeDigests, upsertRows } from './rows.js';
import { withTenant } from './tenant-transaction.js';

const tenant: TenantRef = {
  customerId: '00000000-0000-4000-8000-0000000000c1',
  databaseId: '10000000-0000-4000-8000-0000000000c1',
};

/** For every key type, the digest PostgreSQL computes equals the one the agent computes from the same rows. */
describe('range digests: SQL and JS agree byte for byte', () => {
  let db: Awaited<ReturnType<typeof freshRemoteDatabase>>;
  let pool: pg.Pool;
  beforeAll(async () => {
    db = await freshRemoteDatabase('digest');
    pool = new pg.Pool({ connectionString: db.url });
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  const cases: [string, ColumnDef[], WireValue[][]][] = [
    ['bigint', [{ name: 'k', type: 'bigint' }], [['1'], ['-9223372036854775808'], ['9223372036854775807'], ['42']]],
    [
      'text',
      [{ name: 'k', type: 'text' }],
      [
        ['Alpha'],
        ['alpha'],
        ['Zürich'],
        ['東京'],
        ['emoji 😀'],
        ['e\u0301'],
        ['a"b\\c'],
        [''],
        ['tab\there'],
        ['x'.repeat(500)],
      ],
    ],
    [
      'uuid',
      [{ name: 'k', type: 'uuid' }],
      [['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'], ['A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A12']],
    ],
    [
      'bytea',
      [{ name: 'k', type: 'bytea' }],
      [['AAEC'], [Buffer.from(Array.from({ length: 120 }, (_, i) => i)).toString('base64')], ['']],
    ],
    ['boolean', [{ name: 'k', type: 'boolean' }], [[true], [false]]],
    ['date', [{ name: 'k', type: 'date' }], [['1969-07-20'], ['2024-02-29'], ['0001-01-01']]],
    [
      'composite',
      [
        { name: 'a', type: 'bigint' },
        { name: 'b', type: 'text' },
      ],
      [
        ['1', '11'],
        ['11', '1'],
        ['1', '1:1'],
        ['2', 'ß'],
      ],
    ],
  ];

  it.each(cases)('%s keys', async (name, key, keys) => {
    const table = `digest_${name}`;
    await ensureDataTable(pool, table, { columns: key, key: key.map((k) => k.name) });
    const versions = keys.map((_, i) => String(100 + i));
    await withTenant(pool, tenant, (c) =>
      upsertRows(c, {
        tenant,
        table,
        key,
        columns: key,
        rows: { columns: key.map((k) => k.name), values: key.map((_, i) => keys.map((row) => row[i])), versions },
      }),
    );
    const ranges = [
      { after: '0', upTo: '101' },
      { after: '101', upTo: '1000' },
      { after: '5000', upTo: '6000' },
    ];
    const remote = await withTenant(pool, tenant, (c) => readRangeDigests(c, { tenant, table, key, ranges }));
    const local = ranges.map(() => emptyDigest());
    keys.forEach((row, r) => {
      const v = BigInt(versions[r]);
      const i = ranges.findIndex((x) => v > BigInt(x.after) && v <= BigInt(x.upTo));
      addToDigest(
        local[i],
        row.map((value, c) => canonicalKeyPart(key[c].type, value)),
        v,
      );
    });
    expect(remote).toEqual(local);
    expect(remote[2]).toEqual({ count: 0, sum: 0n });
    // By hashtext, the digest is the sum of hashtextextended over the same inputs the agent builds (so a quarantined
    // row, hashed from its input by hashtextOf, counts exactly as a stored one).
    const byHashtext = await withTenant(pool, tenant, (c) =>
      readRangeDigests(c, { tenant, table, key, ranges, hash: 'hashtext' }),
    );
    const inputs = keys.map((row, r) =>
      rowHashInput(
        row.map((value, c) => canonicalKeyPart(key[c].type, value)),
        versions[r],
      ),
    );
    const hashes = await withTenant(pool, tenant, (c) => hashtextOf(c, inputs));
    const expected = ranges.map(() => emptyDigest());
    hashes.forEach((h, r) => {
      const v = BigInt(versions[r]);
      const d = expected[ranges.findIndex((x) => v > BigInt(x.after) && v <= BigInt(x.upTo))];
      d.count++;
      d.sum += h;
    });
    expect(byHashtext).toEqual(expected);
    expect(byHashtext[0].sum).not.toBe(local[0].sum);
    // The key lists agree too.
    const manifest = await withTenant(pool, tenant, (c) => readManifest(c, { tenant, table, key, ranges }, 1_000_000));
    expect([...manifest!.keys()].sort()).toEqual(
      keys.map((row) => JSON.stringify(row.map((value, c) => canonicalKeyPart(key[c].type, value)))).sort(),
    );
  });
});
