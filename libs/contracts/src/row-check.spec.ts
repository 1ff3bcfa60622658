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
  { name: 'd', type: 'date' },
];
const batch = (columns: string[], values: unknown[][]) => ({
  columns,
  values: values as never,
  versions: values[0].map((_, i) => String(i + 1)),
});

describe('checkRows', () => {
  it('describes a value nested too deep to serialise instead of failing on it', () => {
    const deep = JSON.parse('['.repeat(10_000) + ']'.repeat(10_000));
    expect(checkRows(cols, ['id'], batch(['id', 'name'], [['1'], [deep]])).problem).toMatch(
      /column "name" in row 0: a value nested too deep to show is not a single value/,
    );
  });

  it('accepts well-formed values of every type, and NULL outside the key', () => {
    expect(
      checkRows(
        cols,
        ['id'],
        batch(
          cols.map((c) => c.name),
          [
            ['1', '-9223372036854775808'],
            ['a', null],
            ['1.50', '-1e-3'],
            ['AAE=', null],
            [true, false],
            ['2024-01-01T00:00:00.123456Z', null],
            ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', null],
            [1.5, 'NaN'],
            ['2024-02-29', null],
          ],
        ),
      ),
    ).toEqual({ refused: new Map() });
  });

  it.each([
    [['id', 'zzz'], [['1'], ['x']], /column "zzz" is not registered/],
    [['name'], [['x']], /key column "id" is missing/],
    [['id', 'id'], [['1'], ['1']], /sent twice/],
    [['id', 'u'], [['1'], [{ a: 1 }]], /column "u" in row 0: \{"a":1\} is not a single value/],
    [['id', 'name'], [['1'], [[1, 2]]], /column "name" in row 0: \[1,2\] is not a single value/],
  ])('refuses the whole request for %j %j', (columns, values, message) => {
    expect(checkRows(cols, ['id'], batch(columns as string[], values as unknown[][])).problem).toMatch(message);
  });

  it.each([
    [['id'], [['1', null, '3']], 1, /key column "id" is NULL/],
    [
      ['id', 'ok'],
      [
        ['1', '2'],
        [true, 'yes'],
      ],
      1,
      /column "ok" \(boolean\): expected true or false, got "yes"/,
    ],
    [
      ['id', 'ok'],
      [
        ['1', '2'],
        ['2', false],
      ],
      0,
      /column "ok" \(boolean\): expected true or false, got "2"/,
    ],
    [
      ['id', 'price'],
      [
        ['1', '2'],
        [true, '1'],
      ],
      0,
      /column "price" \(numeric\): expected a decimal number as a string \(a JSON number only as a double holds it\), got true/,
    ],
    [
      ['id', 'blob'],
      [
        ['1', '2'],
        ['AA==', 7],
      ],
      1,
      /column "blob" \(bytea\): expected base64 text, got 7/,
    ],
    [
      ['id', 'name'],
      [
        ['1', '2'],
        [5, 'x'],
      ],
      0,
      /column "name" \(text\): expected a string, got 5/,
    ],
  ])('refuses only the row for %j %j (row %i)', (columns, values, row, message) => {
    const check = checkRows(cols, ['id'], batch(columns as string[], values as unknown[][]));
    expect(check.problem).toBeUndefined();
    expect([...check.refused.keys()]).toEqual([row]);
    expect(check.refused.get(row)).toMatch(message);
  });

  it.each([
    ['bigint', 'id', 9007199254740992, /column "id" \(bigint\).*got 9007199254740992/],
    ['bigint', 'id', -9007199254740992, /column "id" \(bigint\)/],
    ['bigint', 'id', 1.5, /column "id" \(bigint\).*got 1.5/],
    ['double', 'f', Infinity, /column "f" \(double\).*got Infinity/],
    ['double', 'f', -Infinity, /got -Infinity/],
    ['numeric', 'price', 1e20, /column "price" \(numeric\).*got 100000000000000000000/],
    ['numeric', 'price', -Infinity, /column "price" \(numeric\).*got -Infinity/],
  ])('refuses a %s JSON number JavaScript may not hold as written: %p', (_type, column, value, reason) => {
    const check = checkRows(
      cols,
      ['id'],
      batch(['id', column].slice(column === 'id' ? 1 : 0), column === 'id' ? [[value]] : [['1'], [value]]),
    );
    expect(check.problem).toBeUndefined();
    expect([...check.refused.values()]).toEqual([expect.stringMatching(reason)]);
  });

  it('takes JSON numbers JavaScript holds exactly', () => {
    const check = checkRows(
      cols,
      ['id'],
      batch(
        ['id', 'price', 'f'],
        [
          [9007199254740991, -9007199254740991, 0],
          [0.1, -12.5, 9007199254740991],
          [1e300, -5e-324, 1.5],
        ],
      ),
    );
    expect(check).toEqual({ refused: new Map() });
  });

  it('names the first problem of a row with several', () => {
    const check = checkRows(cols, ['id'], batch(['id', 'ok', 'name'], [[null], ['yes'], [5]]));
    expect(check.refused).toEqual(new Map([[0, 'key column "id" is NULL: a row without a key cannot be stored']]));
  });
});

describe('checkRows leaves content to PostgreSQL', () => {
  it('passes well-typed values PostgreSQL may still refuse: they are quarantined there with its reason', () => {
    expect(
      checkRows(
        cols,
        ['id'],
        batch(['id', 'at', 'u', 'blob'], [['99999999999999999999'], ['2024-02-30 10:00'], ['not-a-uuid'], ['!!']]),
      ),
    ).toEqual({ refused: new Map() });
  });
});

describe('checkRows versions', () => {
  it.each([['-1'], ['1.5'], ['9223372036854775808'], ['abc'], [7]])('refuses version %j', (v) => {
    expect(checkRows(cols, ['id'], { columns: ['id'], values: [['1']], versions: [v as string] }).problem).toMatch(
      /version in row 0 .* non-negative 64-bit integer/,
    );
  });

  it('accepts the largest version', () => {
    expect(checkRows(cols, ['id'], { columns: ['id'], values: [['1']], versions: ['9223372036854775807'] })).toEqual({
      refused: new Map(),
    });
  });
});

describe('checkRows: dates and timestamps as the sources print them', () => {
  const dates: ColumnDef[] = [
    { name: 'id', type: 'bigint' },
    { name: 'd', type: 'date' },
    { name: 't', type: 'timestamp' },
  ];
  const one = (d: unknown, t: unknown) => checkRows(dates, ['id'], batch(['id', 'd', 't'], [['1'], [d], [t]]));

  it.each([
    ['2024-02-29', '2024-02-29 10:00:00'],
    ['0044-03-15 BC', '0044-03-15 12:00:00.5 BC'],
    ['12345-01-01', '2024-01-01T00:00:00Z'],
    ['infinity', '-infinity'],
    ['0000-00-00', '2024-01-01 00:00:00.000001+05:30'], // PostgreSQL's to refuse, with its reason
    [null, '2024-01-01 10:00'],
  ])('%j and %j pass', (d, t) => expect(one(d, t).refused.size).toBe(0));

  it.each([
    ['today', '2024-01-01 00:00:00', /column "d" \(date\): expected a date as YYYY-MM-DD, got "today"/],
    ['yesterday', null, /got "yesterday"/],
    ['epoch', null, /got "epoch"/],
    ['Jan 8 1999', null, /got "Jan 8 1999"/],
    ['2024-01-01', 'now', /column "t" \(timestamp\): expected an ISO timestamp string, got "now"/],
    ['2024-01-01', 'allballs', /got "allballs"/],
    ['2024-01-01', '2024-01-01 10:00 tomorrow', /got "2024-01-01 10:00 tomorrow"/],
    [20240101, null, /got 20240101/],
  ])('%j / %j: the row is refused, never stored as another day', (d, t, message) => {
    expect([...one(d, t).refused.values()]).toEqual([expect.stringMatching(message)]);
  });
});
