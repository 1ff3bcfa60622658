import {
  addToDigest,
  bisectStep,
  emptyDigest,
  rowHash,
  rowHashInput,
  sameDigest,
  splitRange,
  halveRanges,
} from './range-digest.js';

describe('row hash', () => {
  it('prefixes each key part with its UTF-8 length, so no two keys share an input', () => {
    expect(rowHashInput(['1', '11'], 5n)).toBe('1:12:11|5');
    expect(rowHashInput(['11', '1'], 5n)).toBe('2:111:1|5');
    expect(rowHashInput(['Zürich'], 1n)).toBe('7:Zürich|1');
    expect(rowHashInput(['😀'], 1n)).toBe('4:😀|1');
    const inputs = [
      [['1', '11'], 5n],
      [['11', '1'], 5n],
      [['1:1', '1'], 5n],
      [['1', ':11'], 5n],
      [['a|5'], 5n],
      [['a'], 55n],
      [[''], 5n],
      [['', ''], 5n],
    ] as const;
    const seen = new Set(inputs.map(([k, v]) => rowHashInput(k, v)));
    expect(seen.size).toBe(inputs.length);
  });

  it('is 60 bits, stable, and differs for another version', () => {
    const h = rowHash(['42'], 7n);
    expect(h).toBe(rowHash(['42'], '7'));
    expect(h < 2n ** 60n).toBe(true);
    expect(h).not.toBe(rowHash(['42'], 8n));
  });
});

describe('range digest', () => {
  it('does not depend on order and changes when a row is added, removed or re-versioned', () => {
    const rows: [string[], bigint][] = Array.from({ length: 100 }, (_, i) => [[String(i)], BigInt(i + 1)]);
    const a = emptyDigest();
    rows.forEach(([k, v]) => addToDigest(a, k, v));
    const b = emptyDigest();
    [...rows].reverse().forEach(([k, v]) => addToDigest(b, k, v));
    expect(sameDigest(a, b)).toBe(true);
    const missing = emptyDigest();
    rows.slice(1).forEach(([k, v]) => addToDigest(missing, k, v));
    expect(sameDigest(a, missing)).toBe(false);
    const older = emptyDigest();
    rows.forEach(([k, v], i) => addToDigest(older, k, i === 50 ? v - 1n : v));
    expect(sameDigest(a, older)).toBe(false);
  });
});

describe('splitRange', () => {
  const cover = (parts: { after: bigint; upTo: bigint }[]) =>
    parts.every((p, i) => p.after < p.upTo && (i === 0 || p.after === parts[i - 1].upTo));

  it.each([
    [0n, 100n, 16],
    [0n, 1_000_000n, 16],
    [5n, 6n, 16],
    [5n, 12n, 16],
    [1000n, 1017n, 4],
  ])('(%p, %p] in %i parts is contiguous and exact', (after, upTo, parts) => {
    const out = splitRange({ after, upTo }, parts);
    expect(out[0].after).toBe(after);
    expect(out[out.length - 1].upTo).toBe(upTo);
    expect(cover(out)).toBe(true);
    expect(out.length).toBeLessThanOrEqual(parts);
  });

  it('leaves a range of one version whole, and refuses fewer than 2 parts', () => {
    expect(splitRange({ after: 5n, upTo: 6n }, 16)).toEqual([{ after: 5n, upTo: 6n }]);
    expect(() => splitRange({ after: 0n, upTo: 10n }, 1)).toThrow(/at least 2/);
  });
});

describe('bisectStep', () => {
  const d = (count: number, sum: bigint) => ({ count, sum });
  const s = { leafRows: 256, fanOut: 16 };
  const r = (after: number, upTo: number) => ({ after: BigInt(after), upTo: BigInt(upTo) });

  it('drops equal ranges, makes small differing ones leaves and splits large ones', () => {
    const ranges = [r(0, 1000), r(1000, 2000), r(2000, 100000)];
    const local = [d(1000, 5n), d(200, 7n), d(98000, 9n)];
    const remote = [d(1000, 5n), d(201, 8n), d(98000, 10n)];
    const { next, leaves } = bisectStep(ranges, local, remote, s);
    expect(leaves).toEqual([r(1000, 2000)]);
    expect(next).toHaveLength(16);
    expect(next[0].after).toBe(2000n);
    expect(next[15].upTo).toBe(100000n);
  });

  it('counts the larger side: a range emptied locally but full remotely is split, not listed', () => {
    const { next, leaves } = bisectStep([r(0, 10000)], [d(0, 0n)], [d(10000, 1n)], s);
    expect(leaves).toEqual([]);
    expect(next).toHaveLength(16);
  });

  it('lists a one-version range whatever its size (it cannot be split)', () => {
    expect(bisectStep([r(7, 8)], [d(1, 1n)], [d(999, 2n)], s).leaves).toEqual([r(7, 8)]);
  });

  it('finds a single difference in a large range within a few levels', () => {
    // Local rows at every version 1..1,000,000; the remote lacks version 437,123.
    const missing = 437_123n;
    const digest = (x: { after: bigint; upTo: bigint }, remote: boolean) => {
      const count = Number(x.upTo - x.after) - (remote && missing > x.after && missing <= x.upTo ? 1 : 0);
      return d(count, BigInt(count));
    };
    let level = [r(0, 1_000_000)];
    let levels = 0;
    const leaves: { after: bigint; upTo: bigint }[] = [];
    while (level.length) {
      const step = bisectStep(
        level,
        level.map((x) => digest(x, false)),
        level.map((x) => digest(x, true)),
        s,
      );
      leaves.push(...step.leaves);
      level = step.next;
      levels++;
    }
    expect(levels).toBeLessThanOrEqual(5);
    expect(leaves).toHaveLength(1);
    expect(missing > leaves[0].after && missing <= leaves[0].upTo).toBe(true);
  });
});

describe('halveRanges', () => {
  const r = (after: number, upTo: number) => ({ after: BigInt(after), upTo: BigInt(upTo) });
  it.each([
    [
      'an even list in halves',
      [r(0, 1), r(1, 2), r(5, 9), r(9, 10)],
      [
        [r(0, 1), r(1, 2)],
        [r(5, 9), r(9, 10)],
      ],
    ],
    ['an odd list, the first half larger', [r(0, 1), r(1, 2), r(5, 9)], [[r(0, 1), r(1, 2)], [r(5, 9)]]],
    ['one wide range in two', [r(0, 10)], [[r(0, 5)], [r(5, 10)]]],
    ['one range two versions wide', [r(3, 5)], [[r(3, 4)], [r(4, 5)]]],
  ])('%s', (_name, ranges, halves) => {
    expect(halveRanges(ranges)).toEqual(halves);
  });

  it('cannot halve one range one version wide, or nothing', () => {
    expect(halveRanges([r(4, 5)])).toBeUndefined();
    expect(halveRanges([])).toBeUndefined();
  });
});
