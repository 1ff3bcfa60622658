import { newestPerKey, partitionRows, rowKeys } from './batch-rows.js';
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
