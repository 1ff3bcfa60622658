import type { ColumnDef, ColumnType } from './columns.js';
import { isVersion, type ColumnarRows, type WireValue } from './wire.js';

const INT = /^-?\d{1,19}$/;
const DECIMAL = /^(-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?|NaN|-?Infinity)$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const DATE = /^-?\d{4,}-\d{2}-\d{2}( BC)?$/;
const TIMESTAMP = /^-?\d{4,}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?( BC)?$|^-?infinity$/;

/** What a wire value of each type must look like (design §7); PostgreSQL has the last word on values that pass. */
const SHAPES: Record<ColumnType, { test: (v: WireValue) => boolean; says: string }> = {
  bigint: { test: (v) => (typeof v === 'string' && INT.test(v) && fitsInt64(v)) || (typeof v === 'number' && Number.isSafeInteger(v)), says: 'a 64-bit integer as a decimal string' },
  double: { test: (v) => typeof v === 'number' || (typeof v === 'string' && DECIMAL.test(v)), says: 'a number (or "NaN", "Infinity", "-Infinity")' },
  numeric: { test: (v) => typeof v === 'string' && DECIMAL.test(v), says: 'a decimal number as a string' },
  text: { test: (v) => typeof v === 'string', says: 'a string' },
  bytea: { test: (v) => typeof v === 'string' && v.length % 4 === 0 && BASE64.test(v), says: 'base64' },
  boolean: { test: (v) => typeof v === 'boolean', says: 'true or false' },
  date: { test: (v) => typeof v === 'string' && DATE.test(v), says: 'a date as YYYY-MM-DD' },
  timestamp: { test: (v) => typeof v === 'string' && TIMESTAMP.test(v), says: 'an ISO timestamp string' },
  timestamptz: { test: (v) => typeof v === 'string' && TIMESTAMP.test(v), says: 'an ISO timestamp string with offset' },
  json: { test: (v) => typeof v === 'string' && isJson(v), says: 'a JSON document as a string' },
  uuid: { test: (v) => typeof v === 'string' && UUID.test(v), says: 'a UUID string' },
};

function fitsInt64(s: string): boolean {
  const digits = s.startsWith('-') ? s.slice(1) : s;
  if (digits.length < 19) return true;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n;
}

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks a batch against the table's registered columns. Returns the first problem in words that name the column
 * and the row, or undefined when the batch is well formed.
 */
export function checkRows(columns: readonly ColumnDef[], key: readonly string[], rows: ColumnarRows): string | undefined {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const seen = new Set<string>();
  for (const name of rows.columns) {
    if (!byName.has(name)) return `column "${name}" is not registered for this table (registered: ${[...byName.keys()].join(', ')})`;
    if (seen.has(name)) return `column "${name}" is sent twice`;
    seen.add(name);
  }
  for (const k of key) if (!seen.has(k)) return `key column "${k}" is missing from the batch`;
  for (let r = 0; r < rows.versions.length; r++)
    if (!isVersion(rows.versions[r])) return `version in row ${r} is ${JSON.stringify(rows.versions[r]).slice(0, 40)}; a version is a non-negative 64-bit integer as a decimal string`;
  const keySet = new Set(key);
  for (let c = 0; c < rows.columns.length; c++) {
    const def = byName.get(rows.columns[c])!;
    const shape = SHAPES[def.type];
    const values = rows.values[c];
    for (let r = 0; r < values.length; r++) {
      const v = values[r];
      if (v === null) {
        if (keySet.has(def.name)) return `key column "${def.name}" is NULL in row ${r}`;
        continue;
      }
      if (!shape.test(v)) return `column "${def.name}" (${def.type}) in row ${r}: expected ${shape.says}, got ${JSON.stringify(v).slice(0, 60)}`;
    }
  }
  return undefined;
}
