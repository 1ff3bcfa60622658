import { QUEUE_NAMES, type QueueName } from '#contracts';

/**
 * A job id as the API hands it out: `<queue>.<database id>.<table>.<uuid>`; the BullMQ job id is
 * `<database id>.<table>.<uuid>`, so whose job it is, and for which table, can be known without loading the job
 * (whose data can be megabytes). Table names hold no dots (tableNameSchema). Ids made before the table was part of
 * them (`<queue>.<database id>.<uuid>`) are still read.
 */
export function publicJobId(queue: QueueName, bullId: string): string {
  return `${queue}.${bullId}`;
}

export function newBullJobId(databaseId: string, table: string, uuid: string): string {
  return `${databaseId}.${table}.${uuid}`;
}

export interface JobRef {
  queue: QueueName;
  bullId: string;
  databaseId: string;
  /** Undefined for an id made before ids named their table. */
  table?: string;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const PUBLIC_JOB_ID = new RegExp(`^([a-z-]+)\\.((${UUID})(?:\\.([A-Za-z_][A-Za-z0-9_]{0,62}))?\\.${UUID})$`);

export function parsePublicJobId(jobId: string): JobRef | undefined {
  const m = PUBLIC_JOB_ID.exec(jobId);
  const queue = QUEUE_NAMES.find((name) => name === m?.[1]);
  return m && queue ? { queue, bullId: m[2], databaseId: m[3], ...(m[4] ? { table: m[4] } : {}) } : undefined;
}
