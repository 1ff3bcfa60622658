import type { ColumnDef, ColumnType, WireValue } from '#contracts';

/**
 * SQLite declared types onto rowferry types, by SQLite's own affinity rules (https://sqlite.org/datatype3.html §3.1):
 * the first rule whose fragment the declared type contains wins, in this order.
 */
const AFFINITY: [fragment: string, type: ColumnType][] = [
  ['INT', 'bigint'],
  ['BOOL', 'boolean'],
  ['CHAR', 'text'],
  ['CLOB', 'text'],
  ['TEXT', 'text'],
  ['BLOB', 'bytea'],
  ['REAL', 'double'],
  ['FLOA', 'double'],
  ['DOUB', 'double'],
  ['NUMERIC', 'numeric'],
  ['DECIMAL', 'numeric'],
];

/** Declared types that name a type exactly (not by affinity). */
const EXACT: Record<string, ColumnType> = { DATE: 'date', UUID: 'uuid' };

export function sqliteColumnType(declared: string): ColumnType {
  const t = declared.toUpperCase().trim();
  // DATETIME, TIMESTAMP and untyped columns hold whatever text the application wrote: kept as text, unchanged.
  return AFFINITY.find(([fragment]) => t.includes(fragment))?.[1] ?? EXACT[t] ?? 'text';
}

/**
 * A SQLite column in rowferry's types. A declared VARCHAR(n)/CHAR(n) length is kept: SQLite does not enforce it, the
 * remote varchar(n) does, and a longer value goes to the quarantine with PostgreSQL's reason.
 */
export function sqliteColumn(name: string, declared: string): ColumnDef {
  const type = sqliteColumnType(declared);
  const length = /CHAR\s*\(\s*(\d+)\s*\)/i.exec(declared)?.[1];
  return type === 'text' && length ? { name, type, length: Number(length) } : { name, type };
}

export type SqliteValue = bigint | number | string | Buffer | null;

/** One SQLite value as it travels (docs/architecture.md, Wire format). */
export function sqliteToWire(type: ColumnType, v: SqliteValue): WireValue {
  if (v === null) return null;
  switch (type) {
    case 'bigint':
    case 'numeric':
      return typeof v === 'string' ? v : v.toString();
    case 'double': {
      const n = typeof v === 'bigint' ? Number(v) : v;
      return typeof n === 'number' && !Number.isFinite(n) ? String(n) : (n as number | string);
    }
    case 'boolean':
      return typeof v === 'bigint' || typeof v === 'number' ? Number(v) !== 0 : (v as string);
    case 'bytea':
      return Buffer.isBuffer(v) ? v.toString('base64') : Buffer.from(String(v)).toString('base64');
    default:
      return Buffer.isBuffer(v)
        ? v.toString('base64')
        : typeof v === 'bigint'
          ? v.toString()
          : (v as string | number).toString();
  }
}

/** A wire value back into what SQLite compares a key column with. */
export function wireToSqlite(type: ColumnType, v: WireValue): SqliteValue {
  if (v === null) return null;
  if (type === 'bigint') return BigInt(v as string);
  if (type === 'bytea') return Buffer.from(String(v), 'base64');
  if (type === 'boolean') return v ? 1 : 0;
  return v as string;
}
