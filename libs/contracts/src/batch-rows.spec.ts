import { columnJson, columnsFromJson, newestPerKey, partitionRows, rowKeys, sliceRows } from './batch-rows.js';
import type { ColumnDef } from './columns.js';
import type { ColumnarRows } from './wire.js';

const key: ColumnDef[] = [
  { name: 'region', type: 'text' },
  { name: 'id', type: 'bigint' },
];
const batch = (rows: [string, string, string][], versions: number[]): ColumnarRows => ({
  columns: ['region', 'id', 'name'],
  values: [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])],
  versions: versions.map(String),
});

describe('batch rows', () => {
  it('reads columns from JSON texts only as they are asked for, and gives back the same texts', () => {
    const values = columnsFromJson(['["1","2"]', 'not json', '[null,1.5]']);
    expect(values).toHaveLength(3);
    expect(values[0]).toEqual(['1', '2']);
    expect(values[2]).toEqual([null, 1.5]);
    expect(() => values[1]).toThrow(SyntaxError);
    expect([0, 1, 2].map((i) => columnJson(values, i))).toEqual(['["1","2"]', 'not json', '[null,1.5]']);
  });

  it('writes the JSON of columns it was not given as text, a slice of read ones included', () => {
    const rows = { columns: ['id', 'n'], values: columnsFromJson(['["1","2"]', '[3,4]']), versions: ['1', '2'] };
    const slice = sliceRows(rows, 1, 2);
    expect([0, 1].map((i) => columnJson(slice.values, i))).toEqual(['["2"]', '[4]']);
    expect(columnJson([['a'], [null]], 1)).toBe('[null]');
  });

  it('gives each row its canonical key, or the raw JSON of a malformed one', () => {
    expect(rowKeys(key, batch([['eu', '007', 'a']], [1]))).toEqual(['["eu","7"]']);
    const bad = { columns: ['region', 'id'], values: [['eu'], [null]], versions: ['1'] };
    expect(rowKeys(key, bad)).toEqual(['["eu",null]']);
  });

  it.each([
    [
      'no duplicates: the same batch',
      [
        ['eu', '1', 'a'],
        ['eu', '2', 'b'],
      ],
      [1, 2],
      [
        ['eu', '1', 'a'],
        ['eu', '2', 'b'],
      ],
      ['1', '2'],
    ],
    [
      'the highest version wins wherever it stands',
      [
        ['eu', '1', 'a'],
        ['eu', '1', 'b'],
        ['eu', '1', 'c'],
      ],
      [3, 5, 4],
      [['eu', '1', 'b']],
      ['5'],
    ],
    [
      'equal versions: the later row wins',
      [
        ['eu', '1', 'a'],
        ['eu', '1', 'b'],
      ],
      [3, 3],
      [['eu', '1', 'b']],
      ['3'],
    ],
    [
      'keys equal only canonically (leading zeros) are one key',
      [
        ['eu', '01', 'a'],
        ['eu', '1', 'b'],
      ],
      [9, 2],
      [['eu', '01', 'a']],
      ['9'],
    ],
    [
      'order of the kept rows is preserved',
      [
        ['eu', '2', 'x'],
        ['us', '1', 'a'],
        ['eu', '2', 'y'],
        ['us', '3', 'c'],
      ],
      [1, 2, 3, 4],
      [
        ['us', '1', 'a'],
        ['eu', '2', 'y'],
        ['us', '3', 'c'],
      ],
      ['2', '3', '4'],
    ],
    [
      'text keys differing in case are two keys',
      [
        ['eu', '1', 'a'],
        ['EU', '1', 'b'],
      ],
      [1, 2],
      [
        ['eu', '1', 'a'],
        ['EU', '1', 'b'],
      ],
      ['1', '2'],
    ],
  ] as const)('%s', (_name, rows, versions, keptRows, keptVersions) => {
    const out = newestPerKey(
      key,
      batch(
        rows.map((r) => [...r]),
        [...versions],
      ),
    );
    expect(out).toEqual(
      batch(
        keptRows.map((r) => [...r]),
        keptVersions.map(Number),
      ),
    );
  });

  it.each([
    ['one bigint key written many ways', 'bigint', ['1', '01', 1, '+1', '2'], [4, 5]],
    ['one bigint key past 18 digits', 'bigint', ['9223372036854775807', '09223372036854775807', '-0'], [2, 3]],
    ['one text key, case kept', 'text', ['a', 'A', 'a'], [2, 3]],
    [
      'one uuid key in either case',
      'uuid',
      ['A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
      [2],
    ],
    ['NULL keys, kept once as rowKey keeps them', 'bigint', [null, '5', null], [2, 3]],
  ] as const)('keeps the newest row per key for %s', (_name, type, keyValues, keptVersions) => {
    const rows = {
      columns: ['k'],
      values: [[...keyValues]],
      versions: keyValues.map((_, i) => String(i + 1)),
    };
    expect(newestPerKey([{ name: 'k', type }], rows).versions).toEqual(keptVersions.map(String));
  });

  it('partitions a batch by position, keeping batch order on both sides', () => {
    const b = batch(
      [
        ['eu', '1', 'a'],
        ['eu', '2', 'b'],
        ['eu', '3', 'c'],
        ['eu', '4', 'd'],
      ],
      [1, 2, 3, 4],
    );
    expect(partitionRows(b, new Set([3, 1]))).toEqual([
      batch(
        [
          ['eu', '2', 'b'],
          ['eu', '4', 'd'],
        ],
        [2, 4],
      ),
      batch(
        [
          ['eu', '1', 'a'],
          ['eu', '3', 'c'],
        ],
        [1, 3],
      ),
    ]);
    expect(partitionRows(b, new Set())).toEqual([batch([], []), b]);
  });
});
