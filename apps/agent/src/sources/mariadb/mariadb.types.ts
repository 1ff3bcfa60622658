import type { ColumnType, WireValue } from '#contracts';
import type { ShapeColumn } from '../tracked-source.js';

/** MySQL/MariaDB base types (COLUMN_TYPE without size or attributes) onto rowferry types (docs/sources.md). */
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
  tinyblob: 'bytea',
  blob: 'bytea',
  mediumblob: 'bytea',
  longblob: 'bytea',
  date: 'date',
  datetime: 'timestamp',
  timestamp: 'timestamptz',
  json: 'json',
  uuid: 'uuid',
  // Text as the server prints it: an ENUM's label, a SET's members joined by commas, a TIME (which may pass 24 hours).
  tinytext: 'text',
  text: 'text',
  mediumtext: 'text',
  longtext: 'text',
  enum: 'text',
  set: 'text',
  time: 'text',
  inet4: 'text',
  inet6: 'text',
};

/** Spatial types: no PostgreSQL type of its own keeps their meaning; their text (WKT) when the config says so. */
const SPATIAL = [
  'geometry',
  'point',
  'linestring',
  'polygon',
  'multipoint',
  'multilinestring',
  'multipolygon',
  'geometrycollection',
];

/** A column of COLUMN_TYPE `columnType` in rowferry's types; `inKey`: it is part of the primary key. */
export function mariadbColumn(name: string, columnType: string, inKey = false): ShapeColumn {
  const t = columnType.toLowerCase();
  const sized = /^(var)?char\((\d+)\)/.exec(t);
  // CHAR(n) pads and compares without its trailing blanks, as PostgreSQL's char(n): a char(n) remotely.
  if (sized) return { column: { name, type: sized[1] ? 'text' : 'char', length: Number(sized[2]) } };
  // TINYINT(1) is how MySQL spells BOOLEAN.
  if (t === 'tinyint(1)') return { column: { name, type: 'boolean' } };
  // Its n binary digits (b'0000000101' as 0000000101), as PostgreSQL prints a bit(n): the driver's bytes are not text.
  const bit = /^bit\((\d+)\)$/.exec(t);
  if (bit)
    return {
      column: { name, type: 'native', native: `bit(${bit[1]})` },
      read: (e) => `LPAD(BIN(${e}), ${bit[1]}, '0')`,
    };
  const base = /^[a-z0-9]+/.exec(t)?.[0] ?? t;
  // Up to 2^64 - 1: more than a bigint holds. A key stays a bigint (keys are integers, text, …): one above 2^63 - 1,
  // rare in an AUTO_INCREMENT id, has its row quarantined with PostgreSQL's reason.
  if (base === 'bigint' && / unsigned\b/.test(t) && !inKey) return { column: { name, type: 'numeric' } };
  if (Object.hasOwn(TYPES, base)) return { column: { name, type: TYPES[base] } };
  if (SPATIAL.includes(base))
    return { column: { name, type: 'text' }, read: (e) => `ST_AsText(${e})`, textOnly: columnType };
  return { column: { name, type: 'text' }, textOnly: columnType };
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
