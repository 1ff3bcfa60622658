import { z } from 'zod';
import { int64StringSchema } from '#contracts';

/**
 * A bigserial id (batch, quarantine entry) from a path or query: checked to fit, so PostgreSQL never sees it overflow.
 */
export const rowIdSchema = int64StringSchema.refine((s) => !s.startsWith('-'), 'must not be negative');

/** One page of a newest-first list: at most `limit` entries with ids below `before`. */
export const pageSchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  before: rowIdSchema.optional(),
});
export type Page = z.infer<typeof pageSchema>;
