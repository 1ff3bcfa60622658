import type { ColumnDef, ColumnType, WireValue } from '#contracts';

/** PostgreSQL types (as format_type() prints them) onto rowferry types; any other type travels as its text form. */
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
};

export function postgresColumn(name: string, formatted: string): ColumnDef {
  const t = formatted.toLowerCase();
  const sized = /^(character varying|character)\((\d+)\)$/.exec(t);
  // char(n) keeps its meaning (its padding is not part of its value): a char(n) remotely, not a padded varchar.
  if (sized) return { name, type: sized[1] === 'character' ? 'char' : 'text', length: Number(sized[2]) };
  if (t === 'bpchar') return { name, type: 'char' };
  // Precision and scale do not change the type: numeric(12,2) is numeric, timestamp(3) with time zone is timestamptz.
  const base = t.replace(/\(\d+(?:,\d+)?\)/, '');
  return { name, type: Object.hasOwn(TYPES, base) ? TYPES[base] : 'text' };
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
