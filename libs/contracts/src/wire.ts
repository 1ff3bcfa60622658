/**
 * One value on the wire (docs/architecture.md, Wire format): 64-bit integers, numerics, dates and timestamps travel as
 * strings, binary as base64, doubles as JSON numbers (NaN and ±Infinity as the strings PostgreSQL reads), NULL as null.
 */
export type WireValue = string | number | boolean | null;

const INT64_MAX_TEXT = '9223372036854775807';

/** Whether a string is a version (a non-negative signed 64-bit integer); cheap enough for every row of a batch. */
export function isVersion(s: unknown): s is string {
  if (typeof s !== 'string' || !/^\d{1,19}$/.test(s)) return false;
  return s.length < 19 || s <= INT64_MAX_TEXT;
}

/**
 * Two versions (decimal strings, as isVersion admits them) compared as numbers, without a BigInt each: negative,
 * zero or positive as `a` is below, equal to or above `b`. Agents and workers compare every row's version.
 */
export function compareVersions(a: string, b: string): number {
  const x = withoutLeadingZeros(a);
  const y = withoutLeadingZeros(b);
  return x.length !== y.length ? x.length - y.length : x < y ? -1 : x > y ? 1 : 0;
}

const withoutLeadingZeros = (v: string) => (v.length > 1 && v.startsWith('0') ? v.replace(/^0+(?=\d)/, '') : v);

/** The highest of some versions, undefined for none. */
export function maxVersionOf(versions: readonly string[]): bigint | undefined {
  let max: string | undefined;
  for (const v of versions) if (max === undefined || compareVersions(v, max) > 0) max = v;
  return max === undefined ? undefined : BigInt(max);
}

/**
 * A batch of rows, column-wise: the names once, then one array per column. It is smaller than an array of
 * objects and it is exactly the shape the worker's bulk SQL takes: a parameter a column (libs/persistence, rows.ts).
 */
export interface ColumnarRows {
  columns: string[];
  /** One array per column, in `columns`' order, each with one wire value per row. */
  values: WireValue[][];
  /** Each row's version, as decimal text. */
  versions: string[];
}

/** The versions (after, upTo]: a slice of the difference check, the range one upload covers, … */
export interface VersionRange {
  after: bigint;
  upTo: bigint;
}

/** A version range as JSON carries it (in requests, jobs and table_stats): decimal strings, as every version. */
export interface WireVersionRange {
  after: string;
  upTo: string;
}

export function toWireRange(r: VersionRange): WireVersionRange {
  return { after: r.after.toString(), upTo: r.upTo.toString() };
}

export function fromWireRange(r: WireVersionRange): VersionRange {
  return { after: BigInt(r.after), upTo: BigInt(r.upTo) };
}
