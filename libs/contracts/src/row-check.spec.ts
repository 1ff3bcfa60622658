import { checkRows } from './row-check.js';
import type { ColumnDef } from './columns.js';

const cols: ColumnDef[] = [
  { name: 'id', type: 'bigint' },
  { name: 'name', type: 'text' },
  { name: 'price', type: 'numeric' },
  { name: 'blob', type: 'bytea' },
  { name: 'ok', type: 'boolean' },
  { name: 'at', type: 'timestamptz' },
  { name: 'u', type: 'uuid' },
  { name: 'f', type: 'double' },
];
const batch = (columns: string[], values: unknown[][]) => ({ columns, values: values as never, versions: values[0].map((_, i) => String(i + 1)) });

describe('checkRows', () => {
  it('accepts well-formed values of every type, and NULL outside the key', () => {
    expect(
      checkRows(cols, ['id'], batch(cols.map((c) => c.name), [['1', '-9223372036854775808'], ['a', null], ['1.50', '-1e-3'], ['AAE=', null], [true, false], ['2024-01-01T00:00:00.123456Z', null], ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', null], [1.5, 'NaN']])),
    ).toBeUndefined();
  });

  it.each([
    [['id', 'zzz'], [['1'], ['x']], /column "zzz" is not registered/],
    [['name'], [['x']], /key column "id" is missing/],
    [['id', 'id'], [['1'], ['1']], /sent twice/],
    [['id'], [[null]], /key column "id" is NULL in row 0/],
    [['id', 'ok'], [['1'], ['yes']], /expected true or false/],
    [['id', 'price'], [['1'], [true]], /column "price" \(numeric\) in row 0: expected a decimal number as a string, got true/],
    [['id', 'blob'], [['1'], [7]], /column "blob" \(bytea\) in row 0: expected base64 text, got 7/],
    [['id', 'u'], [['1'], [{ a: 1 }]], /expected a UUID string/],
    [['id', 'name'], [['1'], [5]], /column "name" \(text\) in row 0: expected a string, got 5/],
  ])('refuses %j %j', (columns, values, message) => {
    expect(checkRows(cols, ['id'], batch(columns as string[], values as unknown[][]))).toMatch(message);
  });
});

describe('checkRows leaves content to PostgreSQL', () => {
  it('passes well-typed values PostgreSQL may still refuse: they are quarantined there with its reason', () => {
    expect(checkRows(cols, ['id'], batch(['id', 'at', 'u', 'blob'], [['99999999999999999999'], ['2024-02-30'], ['not-a-uuid'], ['!!']]))).toBeUndefined();
  });
});

describe('checkRows versions', () => {
  it.each([['-1'], ['1.5'], ['9223372036854775808'], ['abc'], [7]])('refuses version %j', (v) => {
    expect(checkRows(cols, ['id'], { columns: ['id'], values: [['1']], versions: [v as string] })).toMatch(/version in row 0 .* non-negative 64-bit integer/);
  });

  it('accepts the largest version', () => {
    expect(checkRows(cols, ['id'], { columns: ['id'], values: [['1']], versions: ['9223372036854775807'] })).toBeUndefined();
  });

  it('refuses values that are not scalars', () => {
    expect(checkRows(cols, ['id'], batch(['id', 'name'], [['1'], [{ a: 1 }]]))).toMatch(/column "name" \(text\) in row 0: expected a string/);
  });
});
