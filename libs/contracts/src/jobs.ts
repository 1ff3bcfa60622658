import type { ColumnDef } from './columns.js';
import type { DeletedKeys, DeleteRequest, ManifestCheckRequest, RangeHashRequest } from './requests.js';
import type { ColumnarRows, WireVersionRange } from './wire.js';

/** A tenant is the pair (customer, database). Job data never carries a secret. */
export interface TenantRef {
  customerId: string;
  databaseId: string;
}

interface TableJob {
  tenant: TenantRef;
  table: string;
  /** The table's key columns with their types, in key order. */
  key: ColumnDef[];
}

export interface UploadJob extends TableJob {
  /** Types of the columns in `rows.columns`, in the same order. */
  columns: ColumnDef[];
  rows: ColumnarRows;
  /** Keys deleted locally in the batch's range (UploadRequest.deletes). */
  deletes?: DeletedKeys;
  /** Per row of `rows`: the remote version it replaces even though that is newer (see UploadRequest.replace). */
  replace?: string[];
  /**
   * Rows of the request the API refused (quarantined, not a 400 for the batch: docs/sync-model.md, A bad row is the
   * row's problem), with the reason of each.
   */
  refused?: { rows: ColumnarRows; reasons: string[] };
  range?: WireVersionRange;
  /** The table's timeline the rows were read for (UploadRequest.timeline). */
  timeline?: string;
  /** Size of the request that carried the rows, for the batch history. */
  bytes: number;
}

export interface UploadResult {
  /** Rows written (new or replacing an equal or older version). */
  applied: number;
  inserted: number;
  /** Rows not written because the remote row already had a newer version. */
  skippedOlder: number;
  /** Rows the target refused, set aside in the quarantine; the rest of the batch applied. */
  quarantined: number;
  /** Remote rows removed by the batch's deleted keys. */
  deleted: number;
}

export interface DeleteJob extends TableJob {
  request: DeleteRequest;
}

export interface DeleteResult {
  deleted: number;
}

/** A check job; in a content check the API has turned the column names into their definitions. */
type CheckJob<R extends { columns?: string[] }> = TableJob & Omit<R, 'columns'> & { columns?: ColumnDef[] };

export type ManifestCheckJob = CheckJob<ManifestCheckRequest>;

export interface ManifestCheckResult {
  /** Set when the ranges hold more remote rows than one job may load: nothing was compared; ask for smaller ranges. */
  overLimit?: { maxRows: number };
  /** Remote rows in the slice whose key the agent did not list. */
  remoteOnly: { key: string; version: string }[];
  /** Keys the agent listed that are missing remotely or older there. */
  missingOrOlder: string[];
  /** Keys the agent listed whose remote row is newer, with that version: only a lost timeline leaves these. */
  newerRemotely: { key: string; version: string }[];
  /** In a content check: keys whose remote row has the agent's version but other content. */
  contentDiffers?: string[];
}

export type RangeHashJob = CheckJob<RangeHashRequest>;

export interface RangeHashResult {
  /** In a content check, set when the ranges hold more remote rows than one job may load: ask for smaller ranges. */
  overLimit?: { maxRows: number };
  /** One per requested range, in order: row count and the exact sum of row hashes (decimal string). */
  digests: { count: number; sum: string }[];
}

/** The one map of job names to payloads and results, used by the API (producer) and the workers (consumers). */
export interface JobMap {
  upload: { data: UploadJob; result: UploadResult };
  delete: { data: DeleteJob; result: DeleteResult };
  'manifest-check': { data: ManifestCheckJob; result: ManifestCheckResult };
  'range-hash': { data: RangeHashJob; result: RangeHashResult };
}
export type JobName = keyof JobMap;
export const JOB_NAMES = ['upload', 'delete', 'manifest-check', 'range-hash'] as const satisfies readonly JobName[];

declare const jobName: unique symbol;
/**
 * A job id as the API hands it out, typed by its job's name (only in types), so waiting for it yields that job's
 * result.
 */
export type JobId<N extends JobName> = string & { readonly [jobName]: N };

/**
 * The queues and the job each carries: one per job type, named after it, and the express lane, where small uploads
 * run on worker slots that large ones never take (QUEUE_POLICY; docs/sync-model.md, Bounded work and fair share). A
 * public job id names its queue, so a job's status is found without a search.
 */
export const QUEUE_JOBS = {
  upload: 'upload',
  'upload-express': 'upload',
  delete: 'delete',
  'manifest-check': 'manifest-check',
  'range-hash': 'range-hash',
} as const satisfies Record<string, JobName>;
export type QueueName = keyof typeof QUEUE_JOBS;
export const QUEUE_NAMES = Object.keys(QUEUE_JOBS) as QueueName[];
