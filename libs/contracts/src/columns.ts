import { textFormIsFixed } from './native-types.js';

/**
 * Column types as rowferry understands them. The agent maps each source engine's types onto these;
 * the worker maps these onto PostgreSQL types. One vocabulary keeps both sides honest.
 */
export const COLUMN_TYPES = [
  'bigint',
  'double',
  'numeric',
  'text',
  'char',
  'bytea',
  'boolean',
  'date',
  'timestamp',
  'timestamptz',
  'json',
  'uuid',
  /** A PostgreSQL built-in type stored as itself (`native` names it; native-types.ts). */
  'native',
] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** Types whose text form is canonical, so a key made of them compares equal on both sides. */
export const KEY_COLUMN_TYPES: readonly ColumnType[] = ['bigint', 'text', 'char', 'uuid', 'bytea', 'boolean', 'date'];

/** Names starting with this prefix are rowferry's own columns in the remote tables. */
export const RESERVED_COLUMN_PREFIX = '_rf_';

/** The rules of a table or column name (a PostgreSQL identifier rowferry quotes the same everywhere). */
export const NAME_RULES = {
  maxLength: 63,
  pattern: /^[A-Za-z_][A-Za-z0-9_]*$/,
  empty: 'must not be empty',
  tooLong: 'must be at most 63 characters (a PostgreSQL identifier)',
  shape: 'must start with a letter or underscore and hold only letters, digits and underscores',
} as const;

/** PostgreSQL's own columns of every table: a column of that name cannot be created. */
export const SYSTEM_COLUMN_NAMES: readonly string[] = ['tableoid', 'xmin', 'cmin', 'xmax', 'cmax', 'ctid', 'oid'];

/** What a column's name may not be beyond a table's name's rules, in words: undefined when it is fine. */
export function reservedColumnName(name: string): string | undefined {
  if (name.toLowerCase().startsWith(RESERVED_COLUMN_PREFIX))
    return `must not start with "${RESERVED_COLUMN_PREFIX}" (reserved for rowferry's own columns)`;
  if (SYSTEM_COLUMN_NAMES.includes(name))
    return `must not be one of PostgreSQL's system column names (${SYSTEM_COLUMN_NAMES.join(', ')})`;
  return undefined;
}

/** rowferry's own columns in every remote table (tenant, version, timestamps). */
const OWN_COLUMNS = 5;
/** PostgreSQL's limits: 1,600 columns a table, 32 columns an index (the primary key has the tenant column too). */
export const MAX_TABLE_COLUMNS = 1600 - OWN_COLUMNS;
export const MAX_KEY_COLUMNS = 31;

/**
 * A column as rowferry syncs it (the schemas that check one: column-schemas.ts). `length`: for text, the declared
 * maximum length (varchar(n)); for char, its length (char(n)). `native`: for native, the PostgreSQL type as
 * format_type() prints it (`tsvector`, `bit(5)`, `integer[]`).
 */
export interface ColumnDef {
  name: string;
  type: ColumnType;
  length?: number;
  native?: string;
}

/** A table as registered: its columns and its key. */
export interface TableDefinition {
  columns: ColumnDef[];
  key: string[];
}

/** A column's type in words, for messages and comparisons: `text`, `text(20)`, `bigint`, `native tsvector`. */
export function columnTypeName(c: Pick<ColumnDef, 'type' | 'length' | 'native'>): string {
  if (c.native !== undefined) return `native ${c.native}`;
  return c.length === undefined ? c.type : `${c.type}(${c.length})`;
}

/**
 * The narrowest column both columns' values fit in without loss, if there is one (docs/sources.md, Fleets):
 * bigint ⊂ numeric; text(n) ⊂ text(m ≥ n) ⊂ text; char(n) ⊂ char(m ≥ n), and char(n) ⊂ text(m ≥ n) ⊂ text without
 * its padding; date, timestamp and timestamptz ⊂ text (as PostgreSQL prints them in UTC); timestamp ⊂ timestamptz (a
 * timestamp without a time zone stored as that moment in UTC, and read back as UTC: the services' sessions run in
 * UTC); a native column ⊂ text where its text does not depend on session settings (textFormIsFixed: PostgreSQL's
 * text[] and MariaDB's SET). A shared column is widened to it rather than a tenant refused; none (undefined) for any
 * other pair.
 */
export function commonColumn(a: ColumnDef, b: ColumnDef): ColumnDef | undefined {
  if (columnTypeName(a) === columnTypeName(b)) return a;
  const types = new Set([a.type, b.type]);
  // A char's padding means nothing (char(n) compares without its trailing blanks): its value, without them, is text.
  if ((a.type === 'text' || a.type === 'char') && (b.type === 'text' || b.type === 'char')) {
    const type = types.has('text') ? 'text' : 'char';
    return a.length && b.length ? { name: a.name, type, length: Math.max(a.length, b.length) } : { name: a.name, type };
  }
  if (types.has('bigint') && types.has('numeric')) return { name: a.name, type: 'numeric' };
  if (types.has('text') && (types.has('date') || types.has('timestamp') || types.has('timestamptz')))
    return { name: a.name, type: 'text' };
  if (types.has('timestamp') && types.has('timestamptz')) return { name: a.name, type: 'timestamptz' };
  const native = a.native ?? b.native;
  if (types.has('text') && native !== undefined && textFormIsFixed(native)) return { name: a.name, type: 'text' };
  return undefined;
}
