import type { ColumnDef, ColumnType } from './columns.js';
import { isVersion, type ColumnarRows, type WireValue } from './wire.js';

const str = (v: WireValue) => typeof v === 'string';
/**
 * A JSON number is taken only where JavaScript reads it as it was written: finite (1e400 reads as Infinity, which
 * JSON then writes as null), and for an integer column within ±2^53 (9007199254740993 reads as 9007199254740992).
 * Beyond that the value would be stored changed, so it is refused: such values travel as strings.
 */
const strOrFinite = (v: WireValue) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
const strOrExactInteger = (v: WireValue) => typeof v === 'string' || Number.isSafeInteger(v);
const strOrExactNumber = (v: WireValue) => strOrFinite(v) && (!Number.isInteger(v) || strOrExactInteger(v));
/**
 * Dates and timestamps as every source prints them (ISO), or infinity. Not PostgreSQL's other inputs: 'today' or 'now'
 * would be stored as the day the worker ran, a value the source never held.
 */
const ISO_DATE = /^(\d{4,}-\d{2}-\d{2}( BC)?|-?infinity)$/;
const ISO_TIMESTAMP =
  /^(\d{4,}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2}(:?\d{2})?)?)?( BC)?|-?infinity)$/;
const isoDate = (v: WireValue) => typeof v === 'string' && ISO_DATE.test(v);
const isoTimestamp = (v: WireValue) => typeof v === 'string' && ISO_TIMESTAMP.test(v);

/**
 * The JSON type each column type travels as (docs/architecture.md, Wire format). Only the JSON type is checked here: a
 * value of the right JSON type that PostgreSQL still refuses (a bad date, a number out of range, a NUL in text) is
 * customer data, and goes to the quarantine with PostgreSQL's reason instead of failing the whole request.
 */
const SHAPES: Record<ColumnType, { test: (v: WireValue) => boolean; says: string }> = {
  bigint: { test: strOrExactInteger, says: 'a 64-bit integer as a decimal string (a JSON number only within ±2^53)' },
  double: { test: strOrFinite, says: 'a finite number (or the strings "NaN", "Infinity", "-Infinity")' },
  numeric: { test: strOrExactNumber, says: 'a decimal number as a string (a JSON number only as a double holds it)' },
  text: { test: str, says: 'a string' },
  char: { test: str, says: 'a string' },
  native: { test: str, says: 'a string (the value as PostgreSQL prints it)' },
  bytea: { test: str, says: 'base64 text' },
  boolean: { test: (v) => typeof v === 'boolean', says: 'true or false' },
  date: { test: isoDate, says: 'a date as YYYY-MM-DD' },
  timestamp: { test: isoTimestamp, says: 'an ISO timestamp string' },
  timestamptz: { test: isoTimestamp, says: 'an ISO timestamp string with offset' },
  json: { test: str, says: 'a JSON document as a string' },
  uuid: { test: str, says: 'a UUID string' },
};

const isScalar = (v: unknown) => v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

export interface BatchCheck {
  /**
   * What makes the request as a whole malformed (an unknown or repeated column, a missing key column, a bad version, a
   * non-scalar value): a 400.
   */
  problem?: string;
  /**
   * Rows holding a value of the wrong JSON type for its column, or a NULL key (docs/sync-model.md: a bad row is the
   * row's problem, not the table's): position → reason. They go to the quarantine; the other rows apply.
   */
  refused: Map<number, string>;
}

/** Checks a batch against the table's registered columns, in one pass; reasons name the column and the row. */
export function checkRows(columns: readonly ColumnDef[], key: readonly string[], rows: ColumnarRows): BatchCheck {
  const refused = new Map<number, string>();
  const byName = new Map(columns.map((c) => [c.name, c]));
  const seen = new Set<string>();
  for (const name of rows.columns) {
    if (!byName.has(name))
      return {
        problem: `column "${name}" is not registered for this table (registered: ${[...byName.keys()].join(', ')})`,
        refused,
      };
    if (seen.has(name)) return { problem: `column "${name}" is sent twice`, refused };
    seen.add(name);
  }
  for (const k of key) if (!seen.has(k)) return { problem: `key column "${k}" is missing from the batch`, refused };
  for (let r = 0; r < rows.versions.length; r++)
    if (!isVersion(rows.versions[r]))
      return {
        problem: `version in row ${r} is ${preview(rows.versions[r], 40)}; a version is a non-negative 64-bit integer as a decimal string`,
        refused,
      };
  const keySet = new Set(key);
  for (let c = 0; c < rows.columns.length; c++) {
    const def = byName.get(rows.columns[c])!;
    const shape = SHAPES[def.type];
    const values = rows.values[c];
    for (let r = 0; r < values.length; r++) {
      const v = values[r];
      if (!isScalar(v))
        return {
          problem: `column "${def.name}" in row ${r}: ${preview(v, 60)} is not a single value (a string, number, boolean or null)`,
          refused,
        };
      if (refused.has(r)) continue;
      if (v === null) {
        if (keySet.has(def.name))
          refused.set(r, `key column "${def.name}" is NULL: a row without a key cannot be stored`);
        continue;
      }
      if (!shape.test(v))
        refused.set(r, `column "${def.name}" (${def.type}): expected ${shape.says}, got ${preview(v, 60)}`);
    }
  }
  return { refused };
}

/** The start of a value's JSON, for a message; a value nested too deep to serialise is described instead. */
function preview(v: unknown, max: number): string {
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v); // JSON would write null
  try {
    return JSON.stringify(v).slice(0, max);
  } catch {
    return 'a value nested too deep to show';
  }
}
