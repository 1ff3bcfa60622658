import { z } from 'zod';
import { columnNameSchema } from './column-schemas.js';
import { isVersion } from './wire.js';
import { columnarRowsSchema, versionRangeSchema, versionSchema, wireValueSchema } from './wire-schemas.js';
import { DIGEST_HASHES } from './digest-sql.js';
import { MAX_CHECK_RANGES, MAX_JOB_WAIT_MS, MAX_MANIFEST_ROWS } from './request-limits.js';

/**
 * The table's timeline the agent made a job in (VersionInfo.timeline): a range delete starts a new one, and a job
 * made for an older timeline is refused, so an old job retried by hand cannot write a lost timeline back.
 */
const timelineSchema = versionSchema.optional();

const oneValuePerVersion = (d: { keys: unknown[][]; versions: string[] }) =>
  d.keys.every((k) => k.length === d.versions.length);

/**
 * Keys deleted locally, captured as they happened (docs/sync-model.md, Deletes): one array per key column, in key
 * order, and per key the version its delete was given. A remote row goes only if its version is below that.
 */
export const deletedKeysSchema = z
  .object({ keys: z.array(z.array(wireValueSchema)), versions: z.array(versionSchema) })
  .refine(oneValuePerVersion, 'every key array must have one value per version');
export type DeletedKeys = z.infer<typeof deletedKeysSchema>;

/**
 * POST …/tables/{table}: rows to upsert, and on the "local ahead" path (`range` set) the keys deleted in the same
 * versions, so one job applies every change of its range.
 */
export const uploadRequestSchema = z
  .object({
    rows: columnarRowsSchema,
    deletes: deletedKeysSchema.optional(),
    range: versionRangeSchema.optional(),
    /**
     * A repair of rows that are newer remotely than locally, which only a lost timeline leaves behind
     * (docs/sync-model.md, Restores): per row, the remote version it replaces, and only if the remote row still has
     * exactly that version.
     */
    replace: z.array(versionSchema).optional(),
    timeline: timelineSchema,
  })
  .refine(
    (u) => u.replace === undefined || !Array.isArray(u.rows.versions) || u.replace.length === u.rows.versions.length,
    'replace must have one version per row',
  )
  .refine((u) => u.replace === undefined || u.range === undefined, 'a replace is a repair: it carries no range');
export type UploadRequest = z.infer<typeof uploadRequestSchema>;

/**
 * DELETE …/tables/{table}. By keys (one array per key column, in key order, with the version the agent saw:
 * a row with a newer version remotely is kept), everything above a version, or all of the tenant's rows.
 */
export const deleteRequestSchema = z.discriminatedUnion('mode', [
  z
    .object({
      mode: z.literal('keys'),
      keys: z.array(z.array(wireValueSchema)).min(1),
      versions: z.array(versionSchema).min(1),
      timeline: timelineSchema,
    })
    .refine(oneValuePerVersion, 'every key array must have one value per version'),
  z.object({ mode: z.literal('above'), version: versionSchema, timeline: timelineSchema }),
  z.object({ mode: z.literal('all'), timeline: timelineSchema }),
]);
export type DeleteRequest = z.infer<typeof deleteRequestSchema>;

const rangeSchema = z
  .object({ after: versionSchema, upTo: versionSchema })
  .refine(
    (r) => !isVersion(r.after) || !isVersion(r.upTo) || BigInt(r.after) <= BigInt(r.upTo),
    'after must not be above upTo',
  );

/**
 * Version ranges of one check job: sorted and non-overlapping, so a job reads each remote row at most once and its
 * cost is bounded by the tenant's own rows, however many ranges it lists.
 */
const checkRangesSchema = z
  .array(rangeSchema)
  .min(1)
  .max(MAX_CHECK_RANGES)
  .superRefine((ranges, ctx) => {
    for (let i = 1; i < ranges.length; i++) {
      const [prev, r] = [ranges[i - 1], ranges[i]];
      if (isVersion(prev.upTo) && isVersion(r.after) && BigInt(r.after) < BigInt(prev.upTo)) {
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: `ranges must be sorted and must not overlap: range ${i} starts at ${r.after}, below the end of range ${i - 1} (${prev.upTo})`,
        });
        return;
      }
    }
  });

/**
 * The columns a content check compares (docs/difference-check.md, Content), in the agent's order: set, the check
 * hashes every row's content, not only its key and version.
 */
const contentColumnsSchema = z
  .array(columnNameSchema)
  .min(1)
  .max(1600)
  .refine((c) => new Set(c).size === c.length, 'a column is listed twice')
  .optional();

/**
 * POST …/tables/{table}/manifest-check: the local (key, version) pairs of some version ranges, for the key-level diff;
 * in a content check also each row's content hash (contentHash over `columns`).
 */
export const manifestCheckRequestSchema = z
  .object({
    ranges: checkRangesSchema,
    keys: z
      .array(z.string())
      .max(MAX_MANIFEST_ROWS, `at most ${MAX_MANIFEST_ROWS} keys a request: ask for smaller ranges`),
    versions: z.array(versionSchema),
    columns: contentColumnsSchema,
    contents: z.array(z.string().max(32)).optional(),
  })
  .refine((m) => m.keys.length === m.versions.length, 'keys and versions must have the same length')
  .refine(
    (m) => (m.columns === undefined) === (m.contents === undefined),
    'columns and contents go together (a content check)',
  )
  .refine((m) => m.contents === undefined || m.contents.length === m.keys.length, 'one content hash per key');
export type ManifestCheckRequest = z.infer<typeof manifestCheckRequestSchema>;

/**
 * POST …/tables/{table}/range-hash: version ranges whose remote count and digest the agent wants; with `columns`,
 * digests of the rows' content; `hash` says how rows are hashed (digest-sql.ts; md5 when absent).
 */
export const rangeHashRequestSchema = z.object({
  ranges: checkRangesSchema,
  columns: contentColumnsSchema,
  hash: z.enum(DIGEST_HASHES).optional(),
});
export type RangeHashRequest = z.infer<typeof rangeHashRequestSchema>;

/** GET …/jobs/{id}?waitMs=: answer when the job has finished, or after waitMs at the latest (a long poll). */
export const jobStatusQuerySchema = z.object({
  waitMs: z.coerce.number().int().min(0).max(MAX_JOB_WAIT_MS).default(0),
});
export type JobStatusQuery = z.infer<typeof jobStatusQuerySchema>;

/** POST …/tables/{table}/backfill: rows up to `next` were sent again and applied; null: the backfill is done. */
export const backfillProgressSchema = z.object({ from: versionSchema, next: versionSchema.nullable() });
export type BackfillProgress = z.infer<typeof backfillProgressSchema>;

/**
 * POST …/markers: a restore marker the agent is about to write into the local database (docs/sync-model.md, Restores).
 */
export const markerSchema = z.object({ id: z.uuid(), watermark: versionSchema });
export type MarkerRequest = z.infer<typeof markerSchema>;

/** GET …/markers?local={id}: what the server knows of the database's markers, to judge whether it was restored. */
export interface MarkerFacts {
  serverHasMarkers: boolean;
  /** The server's record of the marker asked about, if it has one. */
  recorded: { id: string; watermark: string; newest: boolean } | null;
}

export const registerDatabaseRequestSchema = z.object({ name: z.string().min(1).max(200) });
export const createCustomerRequestSchema = z.object({ name: z.string().min(1).max(200) });

/** GET …/tables/{table}: what the agent needs to choose its next step, read from kept stats. */
export interface VersionInfo {
  table: string;
  /** Highest version among the tenant's remote rows of this table. */
  maxVersion: string;
  /** Every upload of the "ahead" path up to this version has been applied (no gaps). */
  appliedThrough: string;
  rowCount: string;
  lastModifiedAt: string | null;
  /** Jobs for this table that are waiting or running. */
  pendingJobs: number;
  /** Why this database's latest definition of the table was refused (a key or type change), if it was. */
  schemaError: string | null;
  /** Bumped by every range delete; the agent's uploads and deletes say which timeline they were made in. */
  timeline: string;
  /**
   * Columns were added for this database: its existing rows are being sent again from this version on, so they get
   * their values too. Kept by the server, so the backfill survives the agent's death or a lost response
   * (docs/architecture.md, Remote storage).
   */
  backfillFrom: string | null;
  /**
   * Rows of this table waiting in the quarantine (refused by the cloud, docs/sync-model.md, A bad row is the row's
   * problem).
   */
  quarantined: number;
}

/** PUT …/tables/{table}: the table as registered now (columns of every definition so far) and what this call added. */
export interface RegisteredTableInfo {
  table: string;
  columns: { name: string; type: string; length?: number; native?: string }[];
  key: string[];
  /** Columns this registration added for this database: their values for existing rows must be sent again. */
  added: string[];
}

export type JobState = 'waiting' | 'active' | 'delayed' | 'completed' | 'failed' | 'unknown';

export interface JobStatus {
  jobId: string;
  state: JobState;
  attemptsMade: number;
  result?: unknown;
  error?: string;
}

export interface EnqueuedJob {
  jobId: string;
}
