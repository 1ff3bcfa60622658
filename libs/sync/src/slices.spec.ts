import { nextSlice } from './slices.js';

/** Walks a whole table slice by slice, as successive passes do, and returns the slices of one full round. */
function walk(localVersions: bigint[], sliceRows: number) {
  const sorted = [...localVersions].sort((a, b) => (a < b ? -1 : 1));
  const localMax = sorted.length ? sorted[sorted.length - 1] : 0n;
  const slices = [];
  let position = 0n;
  do {
    const after = sorted.filter((v) => v > position).slice(0, sliceRows);
    const s = nextSlice(position, after[sliceRows - 1], localMax, sliceRows);
    slices.push(s);
    position = s.nextPosition;
  } while (position !== 0n && slices.length < 10_000);
  return slices;
}

const covers = (slices: { after: bigint; upTo: bigint }[], v: bigint) => slices.some((s) => v > s.after && v <= s.upTo);

describe('nextSlice', () => {
  it('takes sliceRows rows and continues from the last one', () => {
    expect(nextSlice(0n, 3n, 10n, 3)).toEqual({ after: 0n, upTo: 3n, nextPosition: 3n });
    expect(nextSlice(3n, 9n, 10n, 3)).toEqual({ after: 3n, upTo: 9n, nextPosition: 9n });
  });

  it('ends the round at the local max and wraps', () => {
    expect(nextSlice(9n, undefined, 10n, 3)).toEqual({ after: 9n, upTo: 10n, nextPosition: 0n });
    expect(nextSlice(7n, 10n, 10n, 3)).toEqual({ after: 7n, upTo: 10n, nextPosition: 0n });
  });

  it('starts over when the position is past the end of the table', () => {
    expect(nextSlice(50n, undefined, 10n, 3)).toEqual({ after: 0n, upTo: 10n, nextPosition: 0n });
  });

  it('covers an empty table with one empty slice', () => {
    expect(nextSlice(0n, undefined, 0n, 5)).toEqual({ after: 0n, upTo: 0n, nextPosition: 0n });
  });

  it('refuses a slice size below 1', () => {
    expect(() => nextSlice(0n, undefined, 0n, 0)).toThrow(/sliceRows/);
  });

  it('finds a remote row deleted locally exactly between two slices', () => {
    // Local rows 1..10 without 4: with slices of 3 rows the first slice ends at 3 and the next at 6 (rows 5, 6 and
    // ...).
    const local = [1n, 2n, 3n, 5n, 6n, 7n, 8n, 9n, 10n];
    const slices = walk(local, 3);
    // A [min, max]-of-local-rows slicing would go 1..3 then 5..7 and never look at version 4.
    expect(covers(slices, 4n)).toBe(true);
  });

  it.each([1, 2, 3, 7, 100])('slices of %i rows are contiguous, cover (0, max] and wrap once', (sliceRows) => {
    const local = Array.from({ length: 50 }, (_, i) => BigInt(i * 3 + 1)); // sparse versions 1, 4, 7, …
    const slices = walk(local, sliceRows);
    expect(slices[0].after).toBe(0n);
    for (let i = 1; i < slices.length; i++) expect(slices[i].after).toBe(slices[i - 1].upTo);
    expect(slices[slices.length - 1].upTo).toBe(148n);
    for (let v = 1n; v <= 148n; v++) expect(covers(slices, v)).toBe(true);
    expect(slices.length).toBe(Math.ceil(50 / sliceRows));
  });
});
