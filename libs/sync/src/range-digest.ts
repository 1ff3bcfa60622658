import { createHash } from 'node:crypto';
import type { VersionRange } from '#contracts';

/**
 * The difference check compares a version range by the count and a digest of its (key, version) pairs, computed
 * the same way on both sides: here from canonical key parts, remotely in SQL (persistence rangeDigestSql).
 * A row's hash is the first 60 bits of md5 over its key parts, each prefixed by its length in UTF-8 bytes (so no
 * separator can collide), then `|` and the version. A range's digest is the exact sum of its rows' hashes: order
 * does not matter, and adding or removing any row changes it.
 */
export interface RangeDigest {
  count: number;
  sum: bigint;
}

export function rowHashInput(keyParts: readonly string[], version: bigint | string): string {
  let s = '';
  for (const p of keyParts) s += `${Buffer.byteLength(p, 'utf8')}:${p}`;
  return `${s}|${version}`;
}

/**
 * A row's hash: over its key and version, and in a content check (docs/difference-check.md, Content) also over its
 * content cells (contentCells), so a row that differs only in content changes its range's digest.
 */
export function rowHash(keyParts: readonly string[], version: bigint | string, cells?: string): bigint {
  const input = cells === undefined ? rowHashInput(keyParts, version) : `${rowHashInput(keyParts, version)}|${cells}`;
  return BigInt(`0x${md5(input).slice(0, 15)}`);
}

/** The hash of a row's content cells, which a content check's key-level diff compares per key. */
export function contentHash(cells: string): string {
  return md5(cells).slice(0, 15);
}

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

export function emptyDigest(): RangeDigest {
  return { count: 0, sum: 0n };
}

export function addToDigest(
  d: RangeDigest,
  keyParts: readonly string[],
  version: bigint | string,
  cells?: string,
): void {
  d.count++;
  d.sum += rowHash(keyParts, version, cells);
}

export function sameDigest(a: RangeDigest, b: RangeDigest): boolean {
  return a.count === b.count && a.sum === b.sum;
}

/**
 * Splits (after, upTo] into at most `parts` contiguous ranges of equal version width; together they cover it exactly.
 */
export function splitRange(r: VersionRange, parts: number): VersionRange[] {
  if (parts < 2) throw new Error('a range is split into at least 2 parts');
  const width = r.upTo - r.after;
  if (width <= 1n) return [r];
  const n = BigInt(parts) < width ? BigInt(parts) : width;
  const step = (width + n - 1n) / n;
  const out: VersionRange[] = [];
  for (let a = r.after; a < r.upTo; a += step) out.push({ after: a, upTo: a + step < r.upTo ? a + step : r.upTo });
  return out;
}

/**
 * A list of ranges too large for one request, in two smaller lists: its two halves, or a single range split in
 * two. Undefined when it cannot get smaller (one range one version wide).
 */
export function halveRanges(ranges: readonly VersionRange[]): [VersionRange[], VersionRange[]] | undefined {
  if (ranges.length > 1) {
    const half = Math.ceil(ranges.length / 2);
    return [ranges.slice(0, half), ranges.slice(half)];
  }
  const [r] = ranges;
  if (!r || r.upTo - r.after <= 1n) return undefined;
  const [a, b] = splitRange(r, 2);
  return [[a], [b]];
}

export interface BisectSettings {
  /** Ranges with at most this many rows on either side are compared key by key. */
  leafRows: number;
  /** A differing larger range is split into this many parts. */
  fanOut: number;
}

/**
 * One level of the bisection: equal ranges are done, differing small ones become leaves (for the key-level diff),
 * differing large ones are split for the next level.
 */
export function bisectStep(
  ranges: readonly VersionRange[],
  local: readonly RangeDigest[],
  remote: readonly RangeDigest[],
  s: BisectSettings,
): { next: VersionRange[]; leaves: VersionRange[] } {
  const next: VersionRange[] = [];
  const leaves: VersionRange[] = [];
  ranges.forEach((r, i) => {
    if (sameDigest(local[i], remote[i])) return;
    if (Math.max(local[i].count, remote[i].count) <= s.leafRows || r.upTo - r.after <= 1n) leaves.push(r);
    else next.push(...splitRange(r, s.fanOut));
  });
  return { next, leaves };
}
