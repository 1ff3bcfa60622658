import type { ColumnarRows, DeletedKeys } from '#contracts';
import { aheadBatch } from './ahead-batch.js';

const rows = (...versions: number[]): ColumnarRows => ({
  columns: ['id'],
  values: [versions.map((v) => `r${v}`)],
  versions: versions.map(String),
});
const deletes = (...versions: number[]): DeletedKeys => ({
  keys: [versions.map((v) => `d${v}`)],
  versions: versions.map(String),
});

describe('aheadBatch', () => {
  it.each([
    ['nothing to send', [], [], 10, undefined],
    ['rows only, fewer than the limit', [1, 2, 3], [], 10, { rows: [1, 2, 3], deletes: [], upTo: 3n }],
    ['rows only, cut at the limit', [1, 2, 3, 4], [], 2, { rows: [1, 2], deletes: [], upTo: 2n }],
    ['deletes only', [], [5, 9], 10, { rows: [], deletes: [5, 9], upTo: 9n }],
    ['interleaved, all fit', [1, 4, 6], [2, 5], 10, { rows: [1, 4, 6], deletes: [2, 5], upTo: 6n }],
    ['interleaved, cut inside the deletes', [1, 4, 6], [2, 3, 5], 3, { rows: [1], deletes: [2, 3], upTo: 3n }],
    ['interleaved, cut inside the rows', [1, 2, 3], [7, 8], 2, { rows: [1, 2], deletes: [], upTo: 2n }],
    ['a delete above every row read waits', [10, 11], [12], 2, { rows: [10, 11], deletes: [], upTo: 11n }],
    ['a delete first', [20], [19], 1, { rows: [], deletes: [19], upTo: 19n }],
    ['limit of one with rows first', [3], [4], 1, { rows: [3], deletes: [], upTo: 3n }],
  ])('%s', (_, r, d, limit, expected) => {
    const batch = aheadBatch(rows(...r), deletes(...d), limit);
    if (expected === undefined) return expect(batch).toBeUndefined();
    expect(batch).toEqual({ rows: rows(...expected.rows), deletes: deletes(...expected.deletes), upTo: expected.upTo });
  });

  it('rows and deletes taken whole are passed on as they are, not copied', () => {
    const r = rows(1, 2);
    const d = deletes(3);
    const batch = aheadBatch(r, d, 10)!;
    expect(batch.rows).toBe(r);
    expect(batch.deletes).toBe(d);
    expect(aheadBatch(r, d, 2)!.deletes).not.toBe(d);
  });

  it('versions beyond 2^53 are compared exactly', () => {
    const big = 2n ** 62n;
    const r: ColumnarRows = { columns: ['id'], values: [['a']], versions: [(big + 1n).toString()] };
    const d: DeletedKeys = { keys: [['b']], versions: [(big + 2n).toString()] };
    expect(aheadBatch(r, d, 1)?.upTo).toBe(big + 1n);
    expect(aheadBatch(r, d, 2)?.upTo).toBe(big + 2n);
  });

  it('keeps every change of a random merge exactly once, in version order', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let trial = 0; trial < 200; trial++) {
      const all = [...new Set(Array.from({ length: 40 }, () => Math.floor(rand() * 200)))].sort((a, b) => a - b);
      const r = all.filter(() => rand() < 0.6);
      const d = all.filter((v) => !r.includes(v));
      const limit = 1 + Math.floor(rand() * 30);
      const batch = aheadBatch(rows(...r.slice(0, limit)), deletes(...d.slice(0, limit)), limit)!;
      const taken = [...batch.rows.versions, ...batch.deletes.versions].map(Number).sort((a, b) => a - b);
      expect(taken).toEqual(all.slice(0, Math.min(limit, all.length)));
      expect(batch.upTo).toBe(BigInt(taken[taken.length - 1]));
    }
  });
});
