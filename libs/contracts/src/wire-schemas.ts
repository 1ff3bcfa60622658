import { z } from 'zod';
import type { ColumnarRows, WireValue, WireVersionRange } from './wire.js';

/** The schemas the API checks the wire with (wire.ts has the shapes, which the agent uses without zod). */
export const wireValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]) satisfies z.ZodType<WireValue>;

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

/** A batch of rows, column-wise (ColumnarRows). */
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
  }) satisfies z.ZodType<ColumnarRows>;

/** (after, upTo]: the contiguous version range one upload of the "local ahead" path covers. */
export const versionRangeSchema = z
  .object({ after: versionSchema, upTo: versionSchema })
  .refine(
    (r) => !INT_PATTERN.test(r.after) || !INT_PATTERN.test(r.upTo) || BigInt(r.after) < BigInt(r.upTo),
    'range.after must be below range.upTo',
  ) satisfies z.ZodType<WireVersionRange>;
