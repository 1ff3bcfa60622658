/**
 * PostgreSQL built-in types a `native` column is stored as, itself (docs/sources.md, Types and their meaning). The
 * text form of each is exact, and reads back as the same value under the settings both sides set (DateStyle ISO,
 * TimeZone UTC, IntervalStyle postgres, extra_float_digits 1): its values travel as that text, and the cloud answers
 * the same WHERE as the source.
 */
const NATIVE_BASES: readonly string[] = [
  'interval',
  'time without time zone',
  'time with time zone',
  'inet',
  'cidr',
  'macaddr',
  'macaddr8',
  'bit',
  'bit varying',
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

/** Element types an array column may hold besides the native ones: the types rowferry maps on its own. */
const ARRAY_ELEMENTS: readonly string[] = [
  'smallint',
  'integer',
  'bigint',
  'real',
  'double precision',
  'numeric',
  'text',
  'character varying',
  'character',
  'bytea',
  'boolean',
  'date',
  'timestamp without time zone',
  'timestamp with time zone',
  'json',
  'jsonb',
  'uuid',
];

/**
 * A type as format_type() prints it: a base name, its modifier (bit(5), numeric(5,2), time(3) with time zone,
 * interval(3)) and an interval's fields, then [] for an array.
 */
const PRINTED =
  /^([a-z][a-z0-9 ]*?)(?:\((\d+)(?:,(\d+))?\))?((?: with(?:out)? time zone)|(?: (?:year|month|day|hour|minute|second)(?: to (?:month|hour|minute|second))?))?(\[\])?$/;

/**
 * Whether PostgreSQL's printed type is one a native column may have: a native base type, or an array of one or of a
 * type rowferry maps. The name goes into DDL and casts as it is: only this grammar of known words can pass.
 */
export function isNativeType(printed: string): boolean {
  const m = PRINTED.exec(printed);
  if (!m) return false;
  const [, base, , , suffix = '', array] = m;
  const name = suffix.includes('time zone') ? `${base}${suffix}` : base;
  if (suffix && !suffix.includes('time zone') && base !== 'interval') return false;
  return NATIVE_BASES.includes(name) || (array !== undefined && ARRAY_ELEMENTS.includes(name));
}

/**
 * Whether a native type's text is the same under any session settings (not a date or time, whose text follows
 * DateStyle and TimeZone, an interval's IntervalStyle, or a float's extra_float_digits), so that its values can be
 * kept as that text when a shared column is widened to text, even where the rewrite runs on Citus's nodes.
 */
export function textFormIsFixed(native: string): boolean {
  return !/time|interval|date|range|real|double|point|line|lseg|box|path|polygon|circle|bytea/.test(native);
}
