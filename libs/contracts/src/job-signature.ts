import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Jobs are signed by the API with a key Redis never sees, so a job added to a queue any other way (Bull Board, a
 * client of Redis) is refused by the workers: whoever can write to Redis still cannot write into a tenant's rows.
 * The signature is an HMAC-SHA256 over the job data's JSON, which BullMQ stores as such and hands back intact.
 */
export interface Signed {
  signature: string;
}

export function signJob<T extends object>(data: T, key: string): T & Signed {
  return { ...data, signature: hmac(data, key) };
}

/** The job data without its signature, if the signature is the API's over exactly this data; else undefined. */
export function verifiedJob<T extends object>(signed: T & Partial<Signed>, key: string): T | undefined {
  const { signature, ...data } = signed;
  if (typeof signature !== 'string') return undefined;
  const expected = Buffer.from(hmac(data, key), 'hex');
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? (data as T) : undefined;
}

function hmac(data: object, key: string): string {
  return createHmac('sha256', key).update(JSON.stringify(data)).digest('hex');
}

/**
 * What a completed job's data becomes once the API has read its result (its rows leave Redis then): a retry of it,
 * from Bull Board say, has nothing to apply, and the workers say so.
 */
export const DROPPED_JOB_DATA = { dropped: 'this job completed, and its rows left Redis once its result was read' };

export function isDroppedJob(data: object): boolean {
  return (data as { dropped?: unknown }).dropped === DROPPED_JOB_DATA.dropped;
}
