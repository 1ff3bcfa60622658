import type { ColumnDef, ColumnType, WireValue } from '#contracts';

/** MySQL/MariaDB base types (COLUMN_TYPE without size or attributes) onto rowferry types; others travel as text. */
const TYPES: Record<string, ColumnType> = {
  tinyint: 'bigint',
  smallint: 'bigint',
  mediumint: 'bigint',
  int: 'bigint',
  integer: 'bigint',
  bigint: 'bigint',
  year: 'bigint',
  decimal: 'numeric',
  numeric: 'numeric',
  float: 'double',
  double: 'double',
  real: 'double',
  binary: 'bytea',
  varbinary: 'bytea',
  // Read as its n binary digits (MariadbSource.rowColumns), as PostgreSQL prints a bit(n).
  bit: 'text',
  tinyblob: 'bytea',
  blob: 'bytea',
  mediumblob: 'bytea',
  longblob: 'bytea',
  date: 'date',
  datetime: 'timestamp',
  timestamp: 'timestamptz',
  json: 'json',
  uuid: 'uuid',
};

/** The width of a BIT(n) column, from its COLUMN_TYPE; undefined for any other type. */
export function bitWidth(columnType: string): number | undefined {
  const bit = /^bit\((\d+)\)/i.exec(columnType);
  return bit ? Number(bit[1]) : undefined;
}

export function mariadbColumn(name: string, columnType: string): ColumnDef {
  const t = columnType.toLowerCase();
  const sized = /^(var)?char\((\d+)\)/.exec(t);
  // CHAR(n) pads and compares without its trailing blanks, as PostgreSQL's char(n): a char(n) remotely.
  if (sized) return { name, type: sized[1] ? 'text' : 'char', length: Number(sized[2]) };
  // TINYINT(1) is how MySQL spells BOOLEAN.
  if (t === 'tinyint(1)') return { name, type: 'boolean' };
  const base = t
    .replace(/\(.*$/, '')
    .replace(/ unsigned| zerofill/g, '')
    .trim();
  return { name, type: Object.hasOwn(TYPES, base) ? TYPES[base] : 'text' };
}

export type MariadbValue = string | number | Buffer | null;

/** A value as the server printed it (strings for numbers, dates and times in UTC) onto the wire. */
export function mariadbToWire(type: ColumnType, v: MariadbValue): WireValue {
  if (v === null) return null;
  if (Buffer.isBuffer(v)) return type === 'bytea' ? v.toString('base64') : v.toString('utf8');
  if (type === 'boolean') return v === '1' || v === 1 ? true : v === '0' || v === 0 ? false : String(v); // 2 is not a boolean: PostgreSQL refuses it, into quarantine
  if (type === 'double') {
    const n = Number(v);
    return Number.isFinite(n) ? n : String(v);
  }
  if (type === 'timestamptz' && typeof v === 'string') return `${v}+00`;
  return typeof v === 'number' ? String(v) : v;
}

/** A wire value back into what the server compares a key column with. */
export function wireToMariadb(type: ColumnType, v: WireValue): MariadbValue {
  if (type === 'bytea') return Buffer.from(String(v), 'base64');
  if (type === 'boolean') return v ? 1 : 0;
  return v as string | number | null;
}
