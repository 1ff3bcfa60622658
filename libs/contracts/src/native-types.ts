/**
 * PostgreSQL built-in types a `native` column is stored as, itself (docs/sources.md, Types and their meaning). The
 * text form of each is exact, and reads back as the same value under the settings both sides set (DateStyle ISO,
 * TimeZone UTC, IntervalStyle postgres, extra_float_digits 1): its values travel as that text, and the cloud answers
 * the same WHERE as the source. These take no modifier.
 */
const PLAIN: readonly string[] = [
  'inet',
  'cidr',
  'macaddr',
  'macaddr8',
  'tsvector',
  'tsquery',
  'xml',
  'point',
  'line',
  'lseg',
  'box',
  'path',
  'polygon',
  'circle',
  ...['int4', 'int8', 'num', 'ts', 'tstz', 'date'].flatMap((r) => [`${r}range`, `${r}multirange`]),
];

/** An interval's fields, as PostgreSQL accepts them; a precision only after a field list that ends in seconds. */
const INTERVAL =
  /^interval(\(\d\))?$|^interval (year|month|day|hour|minute|year to month|day to (hour|minute)|hour to minute)$/;
const INTERVAL_SECONDS = /^interval (second|day to second|hour to second|minute to second)(\(\d\))?$/;

/** Native types printed with a modifier where they have one: bit(n) always (a bare bit is bit(1)). */
const MODIFIED = [
  /^bit\(\d+\)$/,
  /^bit varying(\(\d+\))?$/,
  /^time(\(\d\))? with(out)? time zone$/,
  INTERVAL,
  INTERVAL_SECONDS,
];

/** Element types an array may hold besides the native ones: the types rowferry maps on its own. */
const ARRAY_PLAIN: readonly string[] = [
  'smallint',
  'integer',
  'bigint',
  'real',
  'double precision',
  'text',
  'bytea',
  'boolean',
  'date',
  'json',
  'jsonb',
  'uuid',
];
const ARRAY_MODIFIED = [
  /^numeric(\(\d+(,\d+)?\))?$/,
  /^character( varying)?(\(\d+\))?$/,
  /^timestamp(\(\d\))? with(out)? time zone$/,
];

/** A native type, not an array: `tsvector`, `bit(5)`, `interval day to second(3)`. */
function isNativeElement(t: string): boolean {
  return PLAIN.includes(t) || MODIFIED.some((r) => r.test(t));
}

/**
 * Whether PostgreSQL's printed type (format_type) is one a native column may have: a native type, or an array of one
 * or of a type rowferry maps. The name goes into DDL and casts as it is: only this grammar of known words can pass,
 * each with only the modifier PostgreSQL prints for it.
 */
export function isNativeType(printed: string): boolean {
  if (!printed.endsWith('[]')) return isNativeElement(printed);
  const element = printed.slice(0, -2);
  return isNativeElement(element) || ARRAY_PLAIN.includes(element) || ARRAY_MODIFIED.some((r) => r.test(element));
}

/**
 * Whether a native type's text is the same under any session settings (not a date or time, whose text follows
 * DateStyle and TimeZone, an interval's IntervalStyle, or a float's extra_float_digits), so that its values can be
 * kept as that text when a shared column is widened to text, even where the rewrite runs on Citus's nodes.
 */
export function textFormIsFixed(native: string): boolean {
  return !/time|interval|date|range|real|double|point|line|lseg|box|path|polygon|circle|bytea/.test(native);
}
