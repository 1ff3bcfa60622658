import { z } from 'zod';
import { isNativeType, textFormIsFixed } from './native-types.js';

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

const identifier = z
  .string()
  .min(1, 'must not be empty')
  .max(63, 'must be at most 63 characters (a PostgreSQL identifier)')
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*$/,
    'must start with a letter or underscore and hold only letters, digits and underscores',
  );

export const tableNameSchema = identifier;

/** PostgreSQL's own columns of every table: a column of that name cannot be created. */
export const SYSTEM_COLUMN_NAMES: readonly string[] = ['tableoid', 'xmin', 'cmin', 'xmax', 'cmax', 'ctid', 'oid'];

/** rowferry's own columns in every remote table (tenant, version, timestamps). */
const OWN_COLUMNS = 5;
/** PostgreSQL's limits: 1,600 columns a table, 32 columns an index (the primary key has the tenant column too). */
export const MAX_TABLE_COLUMNS = 1600 - OWN_COLUMNS;
export const MAX_KEY_COLUMNS = 31;

export const columnNameSchema = identifier
  .refine((n) => !n.toLowerCase().startsWith(RESERVED_COLUMN_PREFIX), {
    message: `must not start with "${RESERVED_COLUMN_PREFIX}" (reserved for rowferry's own columns)`,
  })
  .refine((n) => !SYSTEM_COLUMN_NAMES.includes(n), {
    message: `must not be one of PostgreSQL's system column names (${SYSTEM_COLUMN_NAMES.join(', ')})`,
  });

export const columnDefSchema = z
  .object({
    name: columnNameSchema,
    type: z.enum(COLUMN_TYPES),
    /** For text: the declared maximum length (varchar(n)); for char: its length (char(n)). Enforced remotely. */
    length: z.number().int().min(1).max(10_485_760).optional(),
    /** For native: the PostgreSQL type, as format_type() prints it (`tsvector`, `bit(5)`, `integer[]`). */
    native: z.string().max(80).optional(),
  })
  .refine((c) => c.length === undefined || c.type === 'text' || c.type === 'char', {
    message: 'only text and char columns can have a length',
    path: ['length'],
  })
  .refine((c) => (c.type === 'native') === (c.native !== undefined), {
    message: 'a native column, and only one, names its PostgreSQL type',
    path: ['native'],
  })
  .refine((c) => c.native === undefined || isNativeType(c.native), {
    message: 'is not a PostgreSQL type rowferry stores as itself (docs/sources.md, Types and their meaning)',
    path: ['native'],
  });
export type ColumnDef = z.infer<typeof columnDefSchema>;

export const tableDefinitionSchema = z
  .object({
    columns: z
      .array(columnDefSchema)
      .min(1, 'a table needs at least one column')
      .max(MAX_TABLE_COLUMNS, `a table can have at most ${MAX_TABLE_COLUMNS} columns`),
    key: z
      .array(columnNameSchema)
      .min(1, 'a table needs a key: a primary key or a configured key')
      .max(
        MAX_KEY_COLUMNS,
        `a key can have at most ${MAX_KEY_COLUMNS} columns (PostgreSQL indexes at most 32, one is the tenant)`,
      ),
  })
  .superRefine((def, ctx) => {
    const byName = new Map<string, ColumnDef>();
    for (const c of def.columns) {
      if (byName.has(c.name))
        ctx.addIssue({ code: 'custom', message: `column "${c.name}" is listed twice`, path: ['columns'] });
      byName.set(c.name, c);
    }
    for (const k of def.key) {
      const col = byName.get(k);
      if (!col) ctx.addIssue({ code: 'custom', message: `key column "${k}" is not among the columns`, path: ['key'] });
      else if (!KEY_COLUMN_TYPES.includes(col.type))
        ctx.addIssue({
          code: 'custom',
          message: `key column "${k}" has type ${col.type}; key columns must be one of ${KEY_COLUMN_TYPES.join(', ')}`,
          path: ['key'],
        });
    }
    if (new Set(def.key).size !== def.key.length)
      ctx.addIssue({ code: 'custom', message: 'a key column is listed twice', path: ['key'] });
  });
export type TableDefinition = z.infer<typeof tableDefinitionSchema>;

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
