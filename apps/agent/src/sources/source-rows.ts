import {
  canonicalKeyPart,
  contentCells,
  encodeKey,
  type ColumnarRows,
  type ColumnType,
  type DeletedKeys,
  type VersionRange,
  type WireValue,
} from '#contracts';
import { addToDigest, contentHash, emptyDigest, type RangeDigest } from '#sync';
import type { SourceTable } from './source.js';

/**
 * Rows as every engine returns them, as arrays: the selected columns followed by the version. Turned into what the
 * agent sends with the engine's own value conversion.
 */
export type ToWire<V> = (type: ColumnType, value: V) => WireValue;

const versionOf = (row: unknown[]) => BigInt(row[row.length - 1] as string | bigint);
/**
 * A row with a NULL key part can never be stored remotely (its upload put it in the quarantine): no part of the check.
 */
const hasKey = (row: unknown[]) => row.every((v, i) => i === row.length - 1 || v !== null);

/** Rows of every column then the version, column-wise as the wire carries them. */
export function columnarOf<V>(table: SourceTable, rows: V[][], toWire: ToWire<V>): ColumnarRows {
  const n = table.columns.length;
  return {
    columns: table.columns.map((c) => c.name),
    values: table.columns.map((c, i) => rows.map((r) => toWire(c.type, r[i]))),
    versions: rows.map((r) => String(r[n])),
  };
}

/** Deleted keys column-wise as the wire carries them, from rows of the key columns then the version. */
export function deletedKeysOf<V>(rows: V[][], types: readonly ColumnType[], toWire: ToWire<V>): DeletedKeys {
  return {
    keys: types.map((t, i) => rows.map((r) => toWire(t, r[i]))),
    versions: rows.map((r) => String(r[types.length])),
  };
}

/** Canonical key → version, for the key-level diff, from rows of the key columns then the version. */
export function manifestOf<V>(
  rows: Iterable<V[]>,
  types: readonly ColumnType[],
  toWire: ToWire<V>,
): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const row of rows)
    if (hasKey(row))
      out.set(
        encodeKey(
          types,
          row.slice(0, -1).map((v, i) => toWire(types[i], v)),
        ),
        versionOf(row),
      );
  return out;
}

/** Count and digest per range, from rows of the key columns then the version in ascending version order. */
export function digestsOf<V>(
  rows: Iterable<V[]>,
  types: readonly ColumnType[],
  toWire: ToWire<V>,
  ranges: readonly VersionRange[],
): RangeDigest[] {
  const digests = ranges.map(() => emptyDigest());
  let i = 0;
  for (const row of rows) {
    const version = versionOf(row);
    while (i < ranges.length && version > ranges[i].upTo) i++;
    if (i === ranges.length) break;
    if (version <= ranges[i].after || !hasKey(row)) continue;
    addToDigest(
      digests[i],
      row.slice(0, -1).map((v, k) => canonicalKeyPart(types[k], toWire(types[k], v))),
      version,
    );
  }
  return digests;
}

/** A row as a content check sees it: canonical key parts, version, content cells of every column. */
export interface RowContent {
  keyParts: string[];
  version: bigint;
  cells: string;
}

/**
 * The content of rows of every column then the version (docs/difference-check.md, Content); rows with a NULL key part
 * are left out, as in every check.
 */
export function* contentOf<V>(table: SourceTable, rows: Iterable<V[]>, toWire: ToWire<V>): Iterable<RowContent> {
  const types = table.columns.map((c) => c.type);
  const at = table.key.map((k) => table.columns.findIndex((c) => c.name === k));
  for (const row of rows) {
    const values = types.map((t, i) => toWire(t, row[i]));
    if (at.some((i) => values[i] === null)) continue;
    yield {
      keyParts: at.map((i) => canonicalKeyPart(types[i], values[i])),
      version: versionOf(row),
      cells: contentCells(types, values),
    };
  }
}

/** Count and content digest per range, from row contents in ascending version order. */
export async function contentDigestsOf(
  rows: AsyncIterable<RowContent>,
  ranges: readonly VersionRange[],
): Promise<RangeDigest[]> {
  const digests = ranges.map(() => emptyDigest());
  let i = 0;
  for await (const row of rows) {
    while (i < ranges.length && row.version > ranges[i].upTo) i++;
    if (i === ranges.length) break;
    if (row.version > ranges[i].after) addToDigest(digests[i], row.keyParts, row.version, row.cells);
  }
  return digests;
}

/** Canonical key → version and content hash, for a content check's key-level diff. */
export async function contentManifestOf(
  rows: AsyncIterable<RowContent>,
): Promise<Map<string, { version: bigint; content: string }>> {
  const out = new Map<string, { version: bigint; content: string }>();
  for await (const r of rows)
    out.set(JSON.stringify(r.keyParts), { version: r.version, content: contentHash(r.cells) });
  return out;
}
