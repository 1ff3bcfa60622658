import { canonicalKeyPart, encodeKey, type ColumnType, type VersionRange, type WireValue } from '#contracts';
import { addToDigest, emptyDigest, type RangeDigest } from '#sync';

/** Rows of key values followed by the version, as any engine returns them, and that engine's wire conversion. */
type KeyRows<V> = Iterable<V[]>;
type ToWire<V> = (type: ColumnType, value: V) => WireValue;

const versionOf = (row: unknown[]) => BigInt(row[row.length - 1] as string | bigint);
/** A row with a NULL key part can never be stored remotely (its upload put it in the quarantine): no part of the check. */
const hasKey = (row: unknown[]) => row.every((v, i) => i === row.length - 1 || v !== null);

/** Canonical key → version, for the key-level diff. */
export function manifestOf<V>(rows: KeyRows<V>, types: readonly ColumnType[], toWire: ToWire<V>): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const row of rows) if (hasKey(row)) out.set(encodeKey(types, row.slice(0, -1).map((v, i) => toWire(types[i], v))), versionOf(row));
  return out;
}

/** Count and digest per range, from rows in ascending version order; rows between the ranges are skipped. */
export function digestsOf<V>(rows: KeyRows<V>, types: readonly ColumnType[], toWire: ToWire<V>, ranges: readonly VersionRange[]): RangeDigest[] {
  const digests = ranges.map(() => emptyDigest());
  let i = 0;
  for (const row of rows) {
    const version = versionOf(row);
    while (i < ranges.length && version > ranges[i].upTo) i++;
    if (i === ranges.length) break;
    if (version <= ranges[i].after || !hasKey(row)) continue;
    addToDigest(digests[i], row.slice(0, -1).map((v, k) => canonicalKeyPart(types[k], toWire(types[k], v))), version);
  }
  return digests;
}
