import type { ColumnDef } from './columns.js';
import { canonicalKeyPart, encodeKey } from './keys.js';
import type { DeletedKeys } from './requests.js';
import type { ColumnarRows, WireValue } from './wire.js';

const COLUMN_JSON = Symbol('each column as the JSON text it was read from');

/**
 * A batch's columns read from their JSON texts (an opened upload job's: sealJob), each parsed only when its values are
 * first asked for. A worker passes columns to PostgreSQL as JSON text (columnJson), so of a clean batch it parses only
 * the key columns: parsing every value, and writing each again, was most of a worker's CPU.
 */
export function columnsFromJson(texts: readonly string[]): WireValue[][] {
  const values: WireValue[][] = [];
  texts.forEach((text, i) => {
    let parsed: WireValue[] | undefined;
    Object.defineProperty(values, i, { enumerable: true, get: () => (parsed ??= JSON.parse(text) as WireValue[]) });
  });
  Object.defineProperty(values, COLUMN_JSON, { value: texts });
  return values;
}

/** Column i's values as a JSON array: the text they were read from (columnsFromJson), or written now. */
export function columnJson(values: WireValue[][], i: number): string {
  return (values as { [COLUMN_JSON]?: readonly string[] })[COLUMN_JSON]?.[i] ?? JSON.stringify(values[i]);
}

/** Rows from..to of a column-wise batch. */
export function sliceRows(rows: ColumnarRows, from: number, to: number): ColumnarRows {
  return {
    columns: rows.columns,
    values: rows.values.map((v) => v.slice(from, to)),
    versions: rows.versions.slice(from, to),
  };
}

/** Deleted keys from..to of a column-wise list. */
export function sliceKeys(d: DeletedKeys, from: number, to: number): DeletedKeys {
  return { keys: d.keys.map((k) => k.slice(from, to)), versions: d.versions.slice(from, to) };
}

/** Rows at these positions of a column-wise batch, in the order given. */
export function pickRows(rows: ColumnarRows, positions: number[]): ColumnarRows {
  return {
    columns: rows.columns,
    values: rows.values.map((v) => positions.map((p) => v[p])),
    versions: positions.map((p) => rows.versions[p]),
  };
}

/** The rows at the positions given and the others, each in batch order. */
export function partitionRows(
  rows: ColumnarRows,
  positions: ReadonlySet<number>,
): [picked: ColumnarRows, rest: ColumnarRows] {
  const picked: number[] = [];
  const rest: number[] = [];
  rows.versions.forEach((_, r) => (positions.has(r) ? picked : rest).push(r));
  return [pickRows(rows, picked), pickRows(rows, rest)];
}

/** The canonical key when the key values are well formed; otherwise their raw JSON, so the row is still findable. */
export function rowKey(key: readonly ColumnDef[], values: readonly WireValue[]): string {
  try {
    return encodeKey(
      key.map((k) => k.type),
      values,
    );
  } catch {
    return JSON.stringify(values);
  }
}

/** The canonical key of each row of a batch, in row order. */
export function rowKeys(key: readonly ColumnDef[], rows: ColumnarRows): string[] {
  const at = key.map((k) => rows.columns.indexOf(k.name));
  return rows.versions.map((_, r) =>
    rowKey(
      key,
      at.map((c) => (c < 0 ? null : rows.values[c][r])),
    ),
  );
}

/**
 * One row per key: the one with the highest version (the later one on a tie). A batch may hold a key twice (a
 * repair upload beside a resend); PostgreSQL cannot upsert one row twice in one statement, and counting both would
 * make the stats drift.
 */
export function newestPerKey(key: readonly ColumnDef[], rows: ColumnarRows): ColumnarRows {
  const keys = keyIdentities(key, rows);
  const best = new Map<string, number>();
  keys.forEach((k, r) => {
    const had = best.get(k);
    if (had === undefined || BigInt(rows.versions[had]) <= BigInt(rows.versions[r])) best.set(k, r);
  });
  if (best.size === keys.length) return rows;
  return pickRows(
    rows,
    [...best.values()].sort((a, b) => a - b),
  );
}

/**
 * Per row, a string equal for two rows exactly when their canonical keys are: rowKeys, or for a one-column key its
 * canonical part alone (no JSON array per row; a bigint already in canonical form as it is), which is most of a
 * worker's time spent on keys in a large upload.
 */
function keyIdentities(key: readonly ColumnDef[], rows: ColumnarRows): string[] {
  const c = key.length === 1 ? rows.columns.indexOf(key[0].name) : -1;
  if (c < 0) return rowKeys(key, rows);
  const type = key[0].type;
  return rows.values[c].map((v) => {
    if (type === 'bigint' && typeof v === 'string' && CANONICAL_INTEGER.test(v)) return v;
    try {
      return canonicalKeyPart(type, v);
    } catch {
      return `\u0000${JSON.stringify([v])}`; // as rowKey: still one identity per malformed value, apart from the rest
    }
  });
}

const CANONICAL_INTEGER = /^(0|-?[1-9][0-9]{0,17})$/;
