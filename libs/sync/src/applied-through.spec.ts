import { recordAppliedRange, rewindAppliedThrough, type AppliedThrough } from './applied-through.js';

const r = (after: number, upTo: number) => ({ after: BigInt(after), upTo: BigInt(upTo) });
const start: AppliedThrough = { through: 0n, pending: [] };

function applyAll(order: number[][]) {
  return order.reduce((s, [a, b]) => recordAppliedRange(s, r(a, b)), start);
}

describe('applied-through watermark', () => {
  it('advances over contiguous ranges applied in order', () => {
    expect(
      applyAll([
        [0, 10],
        [10, 20],
        [20, 30],
      ]),
    ).toEqual({ through: 30n, pending: [] });
  });

  it('never jumps past a range that was not applied', () => {
    const s = applyAll([
      [0, 10],
      [20, 30],
      [30, 40],
    ]);
    expect(s.through).toBe(10n);
    expect(s.pending).toEqual([r(20, 30), r(30, 40)]);
  });

  it('closes the gap when the missing range arrives', () => {
    expect(
      applyAll([
        [0, 10],
        [20, 30],
        [30, 40],
        [10, 20],
      ]),
    ).toEqual({ through: 40n, pending: [] });
  });

  it.each([
    [
      [
        [0, 1],
        [1, 2],
        [2, 3],
        [3, 4],
      ],
    ],
    [
      [
        [3, 4],
        [2, 3],
        [1, 2],
        [0, 1],
      ],
    ],
    [
      [
        [2, 3],
        [0, 1],
        [3, 4],
        [1, 2],
      ],
    ],
    [
      [
        [1, 2],
        [3, 4],
        [0, 1],
        [2, 3],
      ],
    ],
  ])('reaches the same end in any order: %j', (order) => {
    expect(applyAll(order)).toEqual({ through: 4n, pending: [] });
  });

  it('tolerates a range applied twice', () => {
    expect(
      applyAll([
        [0, 10],
        [0, 10],
        [10, 20],
        [10, 20],
      ]),
    ).toEqual({ through: 20n, pending: [] });
  });

  it('rewinds on a range delete and trims pending ranges', () => {
    const s = applyAll([
      [0, 10],
      [20, 30],
      [40, 50],
    ]);
    expect(rewindAppliedThrough(s, 25n)).toEqual({ through: 10n, pending: [r(20, 25)] });
    expect(rewindAppliedThrough(s, 5n)).toEqual({ through: 5n, pending: [] });
    expect(rewindAppliedThrough(s, 100n)).toEqual(s);
  });
});
