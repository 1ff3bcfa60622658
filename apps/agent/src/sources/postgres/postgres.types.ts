import { isNativeType, type ColumnType, type WireValue } from '#contracts';
import type { ShapeColumn } from '../tracked-source.js';

/** PostgreSQL types (as format_type() prints them) onto rowferry types (docs/sources.md, Types and their meaning). */
const TYPES: Record<string, ColumnType> = {
  smallint: 'bigint',
  integer: 'bigint',
  bigint: 'bigint',
  real: 'double',
  'double precision': 'double',
  numeric: 'numeric',
  bytea: 'bytea',
  boolean: 'boolean',
  date: 'date',
  'timestamp without time zone': 'timestamp',
  'timestamp with time zone': 'timestamptz',
  json: 'json',
  jsonb: 'json',
  uuid: 'uuid',
  text: 'text',
  'character varying': 'text',
  name: 'text',
};

/** How PostgreSQL classes a type (pg_type.typtype): base, enum, composite, range, multirange, pseudo. */
export type TypeKind = 'b' | 'e' | 'c' | 'r' | 'm' | 'p';

/**
 * A column of PostgreSQL type `printed` (a domain's base type; `kind` is its typtype, `element` its element's for an
 * array) in rowferry's types. An enum's value is its label, text; money is its amount (its text follows lc_monetary);
 * a built-in type rowferry has no type for is stored as itself (native). Any other (a composite, an extension's type)
 * has no exact remote form: its text, when the config says so (ShapeColumn.textOnly). `builtin`: the type (and an
 * array's element) is PostgreSQL's own, not a user's type of the same name.
 */
export function postgresColumn(
  name: string,
  printed: string,
  kind: TypeKind = 'b',
  element?: TypeKind,
  builtin = true,
): ShapeColumn {
  const t = printed.toLowerCase();
  const sized = /^(character varying|character)\((\d+)\)$/.exec(t);
  // char(n) keeps its meaning (its padding is not part of its value): a char(n) remotely, not a padded varchar.
  if (sized) return { column: { name, type: sized[1] === 'character' ? 'char' : 'text', length: Number(sized[2]) } };
  if (t === 'bpchar') return { column: { name, type: 'char' } };
  if (kind === 'e') return { column: { name, type: 'text' } };
  if (element === 'e') return { column: { name, type: 'native', native: 'text[]' } };
  if (!builtin) return { column: { name, type: 'text' }, textOnly: printed };
  if (t === 'money') return { column: { name, type: 'numeric' }, read: (e) => `${e}::numeric` };
  // Precision and scale do not change the type: numeric(12,2) is numeric, timestamp(3) with time zone is timestamptz.
  const base = t.replace(/\(\d+(?:,\d+)?\)/, '');
  if (Object.hasOwn(TYPES, base)) return { column: { name, type: TYPES[base] } };
  if (kind !== 'c' && kind !== 'p' && isNativeType(t)) return { column: { name, type: 'native', native: t } };
  return { column: { name, type: 'text' }, textOnly: printed };
}

export type PgValue = string | boolean | Buffer | null;

/** A value as PostgreSQL printed it (ISO dates, UTC, shortest exact floats) onto the wire. */
export function postgresToWire(type: ColumnType, v: PgValue): WireValue {
  if (v === null) return null;
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (typeof v === 'boolean') return v;
  if (type === 'double') {
    const n = Number(v);
    return Number.isFinite(n) ? n : v;
  }
  return v;
}
