import { z } from 'zod';

/**
 * One value on the wire (docs/architecture.md, Wire format): 64-bit integers, numerics, dates and timestamps travel as
 * strings, binary as base64, doubles as JSON numbers (NaN and ±Infinity as the strings PostgreSQL reads), NULL as null.
 */
export type WireValue = string | number | boolean | null;
export const wireValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const INT_PATTERN = /^-?\d{1,19}$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A version or other signed 64-bit integer, as a decimal string. */
export const int64StringSchema = z
  .string()
  .regex(INT_PATTERN, 'must be a decimal integer string')
  .refine(
    (s) => !INT_PATTERN.test(s) || (BigInt(s) >= INT64_MIN && BigInt(s) <= INT64_MAX),
    'does not fit a signed 64-bit integer',
  );

/** A version as the agent reads it: never negative. */
export const versionSchema = int64StringSchema.refine((s) => !s.startsWith('-'), 'a version is never negative');

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
export const columnarRowsSchema = z
  .object({
    columns: z.array(z.string()).min(1),
    // Each value and version is checked against its column's type by checkRows, in one pass over the batch:
    // a schema per value costs more than the rest of the request's handling together.
    values: z
      .custom<WireValue[][]>(
        (v) => Array.isArray(v) && v.every(Array.isArray),
        'must be an array of one array per column',
      )
      // What the OpenAPI description (/docs) shows of it.
      .meta({
        type: 'array',
        items: { type: 'array', items: {} },
        description: "one array per column, in `columns`' order, each with one wire value per row",
      }),
    versions: z
      .custom<string[]>((v) => Array.isArray(v), 'must be an array of versions')
      .meta({
        type: 'array',
        items: { type: 'string', pattern: '^\\d{1,19}$' },
        description: "each row's version, as decimal text",
      }),
  })
  .superRefine((b, ctx) => {
    if (b.values.length !== b.columns.length)
      ctx.addIssue({ code: 'custom', message: `values has ${b.values.length} arrays for ${b.columns.length} columns` });
    b.values.forEach((col, i) => {
      if (col.length !== b.versions.length)
        ctx.addIssue({
          code: 'custom',
          message: `column "${b.columns[i]}" has ${col.length} values but the batch has ${b.versions.length} versions`,
        });
    });
  });
export type ColumnarRows = z.infer<typeof columnarRowsSchema>;

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

/** (after, upTo]: the contiguous version range one upload of the "local ahead" path covers. */
export const versionRangeSchema = z
  .object({ after: versionSchema, upTo: versionSchema })
  .refine(
    (r) => !INT_PATTERN.test(r.after) || !INT_PATTERN.test(r.upTo) || BigInt(r.after) < BigInt(r.upTo),
    'range.after must be below range.upTo',
  ) satisfies z.ZodType<WireVersionRange>;
