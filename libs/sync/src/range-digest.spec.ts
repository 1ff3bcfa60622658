import { addToDigest, emptyDigest, rowHash, rowHashInput, sameDigest, splitRange } from './range-digest.js';

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
  const cover = (parts: { after: bigint; upTo: bigint }[]) => parts.every((p, i) => p.after < p.upTo && (i === 0 || p.after === parts[i - 1].upTo));

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
