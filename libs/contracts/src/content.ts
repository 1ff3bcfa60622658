import type { ColumnType } from './columns.js';
import type { WireValue } from './wire.js';

/**
 * The canonical text of a value for the content digest (docs/difference-check.md, Content): the same for a value as
 * the agent sends it and as PostgreSQL prints the stored value (`::text`, DateStyle ISO, TimeZone UTC; bytea as
 * base64, booleans as true/false), so equal content hashes alike whatever engine it came from. NULL is null.
 */
export function canonicalValue(type: ColumnType, value: WireValue): string | null {
  if (value === null) return null;
  const s = String(value);
  switch (type) {
    case 'bigint':
      return /^[+-]?\d+$/.test(s.trim()) ? BigInt(s.trim()).toString() : s;
    case 'double':
      return canonicalDouble(typeof value === 'number' ? value : Number(s));
    case 'numeric':
      return canonicalDecimal(s);
    case 'bytea':
      return Buffer.from(s, 'base64').toString('hex');
    case 'boolean':
      return value === true || s === 't' || s === 'true' || s === '1' ? 'true' : 'false';
    case 'timestamp':
      return canonicalTimestamp(s, false);
    case 'timestamptz':
      return canonicalTimestamp(s, true);
    case 'json':
      return canonicalJson(s);
    case 'uuid':
      return s.toLowerCase();
    case 'char':
      return withoutPadding(s);
    case 'text':
    case 'date':
    case 'native': // as PostgreSQL printed it at the source (native-types.ts)
      return s;
  }
}

/**
 * The value's IEEE 754 bits: exact, and alike however the decimal was written. -0 is 0 (JSON cannot carry the sign of
 * a zero, so the wire does not keep it either).
 */
function canonicalDouble(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  const b = Buffer.alloc(8);
  b.writeDoubleBE(n === 0 ? 0 : n);
  return b.toString('hex');
}

/** A decimal without leading zeros, trailing fractional zeros or exponent: 1.50, +1.5 and 15e-1 are all 1.5. */
export function canonicalDecimal(s: string): string {
  const t = s.trim();
  const special = /^([+-]?)(nan|inf|infinity)$/i.exec(t);
  if (special) return special[2].toLowerCase() === 'nan' ? 'NaN' : `${special[1] === '-' ? '-' : ''}Infinity`;
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(t);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return t;
  const digits = `${m[2]}${m[3] ?? ''}`;
  const point = m[2].length + Number(m[4] ?? 0);
  const padded = point > digits.length ? digits.padEnd(point, '0') : point < 0 ? '0'.repeat(-point) + digits : digits;
  const at = Math.max(point, 0);
  const int = padded.slice(0, at).replace(/^0+/, '') || '0';
  const frac = padded.slice(at).replace(/0+$/, '');
  const body = frac ? `${int}.${frac}` : int;
  return m[1] === '-' && /[1-9]/.test(body) ? `-${body}` : body;
}

/**
 * `YYYY-MM-DD HH:MM:SS.ffffff`, with a UTC offset applied for timestamptz (none given means UTC, as MariaDB's
 * TIMESTAMP is read). Anything else ('infinity', a BC date) stays as it is.
 */
function canonicalTimestamp(s: string, withZone: boolean): string {
  const m =
    /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?\s*(Z|[+-]\d{2}(?::?\d{2}){0,2})?$/.exec(
      s.trim(),
    );
  if (!m) return s;
  const [, y, mo, d, h, mi, sec, frac = '', zone] = m;
  const micros = frac.padEnd(6, '0');
  if (!withZone || !zone || zone === 'Z' || /^[+-]0+$/.test(zone.replace(/:/g, '')))
    return `${y}-${mo}-${d} ${h}:${mi}:${sec}.${micros}`;
  const z = zone.slice(1).replace(/:/g, '');
  const offset =
    (zone[0] === '-' ? -1 : 1) *
    (Number(z.slice(0, 2)) * 3600 + Number(z.slice(2, 4) || 0) * 60 + Number(z.slice(4, 6) || 0));
  const t = new Date(0);
  t.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  t.setUTCHours(Number(h), Number(mi), Number(sec) - offset, 0);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(t.getUTCFullYear(), 4)}-${p(t.getUTCMonth() + 1)}-${p(t.getUTCDate())} ${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:${p(t.getUTCSeconds())}.${micros}`;
}

/** The document with object keys sorted and no spaces, as jsonb and the source's text both come down to. */
function canonicalJson(s: string): string {
  try {
    return stableJson(JSON.parse(s));
  } catch {
    return s;
  }
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/**
 * The content part of a row's hash input: per column `N` for NULL, else its canonical text prefixed by its length in
 * UTF-8 bytes, so no value can run into the next.
 */
export function contentCells(types: readonly ColumnType[], values: readonly WireValue[]): string {
  let out = '';
  for (let i = 0; i < types.length; i++) {
    const c = canonicalValue(types[i], values[i]);
    out += c === null ? 'N' : `${Buffer.byteLength(c, 'utf8')}:${c}`;
  }
  return out;
}

/** A char(n) value without its trailing blanks, which mean nothing to it (PostgreSQL's cast to text drops them). */
export function withoutPadding(s: string): string {
  return s.replace(/ +$/, '');
}
