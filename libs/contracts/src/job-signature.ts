import { createHmac, timingSafeEqual } from 'node:crypto';
import { columnsFromJson } from './batch-rows.js';
import type { TenantRef } from './jobs.js';
import type { ColumnarRows } from './wire.js';

/**
 * Jobs are signed by the API with a key Redis never sees, so a job added to a queue any other way (Bull Board, a
 * client of Redis) is refused by the workers: whoever can write to Redis still cannot write into a tenant's rows.
 *
 * A job is stored sealed: its data's JSON as one string (jobText), and an HMAC-SHA256 over exactly those bytes. The
 * JSON is made once (by the API's intake threads, for uploads) and read once (by the worker), with nothing serialised
 * again to be signed or checked. Its tenant and table are repeated in the clear for people reading the queues; the
 * workers read only the sealed data.
 */
export interface SealedJob {
  tenant: TenantRef;
  table: string;
  sealed: string;
  signature: string;
}

export function sealJob<T extends { tenant: TenantRef; table: string }>(data: T, key: string): SealedJob {
  const json = jobText(data);
  return { tenant: data.tenant, table: data.table, sealed: json, signature: hmac(json, key) };
}

/**
 * A job's data as sealed text: its JSON, but for an upload's values, which follow it one column a line (JSON never
 * holds a raw line break), so that the worker can pass a column to PostgreSQL as the text it is without parsing it
 * (columnsFromJson).
 */
function jobText(data: object): string {
  if (!('rows' in data)) return JSON.stringify(data);
  const { values, ...rows } = data.rows as ColumnarRows;
  return [JSON.stringify({ ...data, rows }), ...values.map((column) => JSON.stringify(column))].join('\n');
}

function readJobText(text: string): object {
  const [head, ...columns] = text.split('\n');
  const data = JSON.parse(head) as { rows?: Partial<ColumnarRows> };
  // A job sealed before columns had lines of their own has its values in its JSON (and no line break).
  if (columns.length > 0) data.rows!.values = columnsFromJson(columns);
  return data;
}

/**
 * The job's data, if the API sealed it with this key; else undefined. Jobs enqueued before jobs were sealed (their
 * data in the clear, signed over its JSON) are still opened, so that an upgrade does not fail the jobs in flight.
 */
export function openJob<T extends object>(stored: object, key: string): T | undefined {
  const { signature, sealed, ...clear } = stored as Partial<SealedJob> & Record<string, unknown>;
  if (typeof signature !== 'string') return undefined;
  const json = typeof sealed === 'string' ? sealed : JSON.stringify(clear);
  const expected = Buffer.from(hmac(json, key), 'hex');
  const given = Buffer.from(signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return (typeof sealed === 'string' ? readJobText(sealed) : clear) as T;
}

function hmac(json: string, key: string): string {
  return createHmac('sha256', key).update(json).digest('hex');
}

/**
 * What a completed job's data becomes once the API has read its result (its rows leave Redis then): a retry of it,
 * from Bull Board say, has nothing to apply, and the workers say so.
 */
export const DROPPED_JOB_DATA = { dropped: 'this job completed, and its rows left Redis once its result was read' };

export function isDroppedJob(data: object): boolean {
  return (data as { dropped?: unknown }).dropped === DROPPED_JOB_DATA.dropped;
}
