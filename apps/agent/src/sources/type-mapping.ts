import type { ColumnDef, ColumnType, WireValue } from '#contracts';

/**
 * Every engine's types onto rowferry's column types (which the worker maps onto PostgreSQL types, see
 * libs/persistence/src/column-types.ts), and every engine's values onto the wire (design §7), in one place.
 * A value that cannot be represented is passed on as it is, so PostgreSQL refuses it into the quarantine with its
 * reason: never a silent change. docs/sources.md has the tables in words.
 */

// SQLite

/**
 * SQLite declared types onto rowferry types, by SQLite's own affinity rules (https://sqlite.org/datatype3.html §3.1).
 * A declared VARCHAR(n)/CHAR(n) length is kept: SQLite does not enforce it, the remote varchar(n) does, and a longer
 * value goes to the quarantine with PostgreSQL's reason.
 */
export function sqliteColumn(name: string, declared: string): ColumnDef {
  const type = sqliteColumnType(declared);
  const length = /CHAR\s*\(\s*(\d+)\s*\)/i.exec(declared)?.[1];
  return type === 'text' && length ? { name, type, length: Number(length) } : { name, type };
}

export function sqliteColumnType(declared: string): ColumnType {
  const t = declared.toUpperCase().trim();
  if (t.includes('INT')) return 'bigint';
  if (t.includes('BOOL')) return 'boolean';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'text';
  if (t.includes('BLOB')) return 'bytea';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'double';
  if (t.includes('NUMERIC') || t.includes('DECIMAL')) return 'numeric';
  if (t === 'DATE') return 'date';
  if (t === 'UUID') return 'uuid';
  // DATETIME, TIMESTAMP and untyped columns hold whatever text the application wrote: keep it as text, unchanged.
  return 'text';
}

export type SqliteValue = bigint | number | string | Buffer | null;

/** One SQLite value as it travels (design §7). */
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
      return Buffer.isBuffer(v) ? v.toString('base64') : typeof v === 'bigint' ? v.toString() : (v as string | number).toString();
  }
}

// PostgreSQL

/** PostgreSQL types onto rowferry types, by format_type(); anything else travels as its text form. */
export function postgresColumn(name: string, formatted: string): ColumnDef {
  const t = formatted.toLowerCase();
  const varchar = /^character varying\((\d+)\)$/.exec(t) ?? /^character\((\d+)\)$/.exec(t);
  if (varchar) return { name, type: 'text', length: Number(varchar[1]) };
  const type: ColumnType =
    t === 'smallint' || t === 'integer' || t === 'bigint'
      ? 'bigint'
      : t === 'real' || t === 'double precision'
        ? 'double'
        : t.startsWith('numeric')
          ? 'numeric'
          : t === 'bytea'
            ? 'bytea'
            : t === 'boolean'
              ? 'boolean'
              : t === 'date'
                ? 'date'
                : /^timestamp(\(\d\))? without time zone$/.test(t)
                  ? 'timestamp'
                  : /^timestamp(\(\d\))? with time zone$/.test(t)
                    ? 'timestamptz'
                    : t === 'json' || t === 'jsonb'
                      ? 'json'
                      : t === 'uuid'
                        ? 'uuid'
                        : 'text';
  return { name, type };
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

// MySQL / MariaDB

/** MySQL/MariaDB column types onto rowferry types, by COLUMN_TYPE; anything else travels as its text form. */
export function mysqlColumn(name: string, columnType: string): ColumnDef {
  const t = columnType.toLowerCase();
  const sized = /^(?:var)?char\((\d+)\)/.exec(t);
  if (sized) return { name, type: 'text', length: Number(sized[1]) };
  const base = t.replace(/\(.*$/, '').replace(/ unsigned| zerofill/g, '').trim();
  const type: ColumnType =
    t === 'tinyint(1)'
      ? 'boolean'
      : ['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'year'].includes(base)
        ? 'bigint'
        : ['decimal', 'numeric'].includes(base)
          ? 'numeric'
          : ['float', 'double', 'real'].includes(base)
            ? 'double'
            : ['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob'].includes(base)
              ? 'bytea'
              : base === 'date'
                ? 'date'
                : base === 'datetime'
                  ? 'timestamp'
                  : base === 'timestamp'
                    ? 'timestamptz'
                    : base === 'json'
                      ? 'json'
                      : base === 'uuid'
                        ? 'uuid'
                        : 'text';
  return { name, type };
}

export type MysqlValue = string | number | Buffer | null;

/** A value as the server printed it (strings for numbers, dates and times in UTC) onto the wire. */
export function mysqlToWire(type: ColumnType, v: MysqlValue): WireValue {
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
