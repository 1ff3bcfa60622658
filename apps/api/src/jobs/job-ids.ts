import { JOB_NAMES, type QueueName } from '#contracts';

/**
 * A job id as the API hands it out: `<queue>.<database id>.<uuid>`; the BullMQ job id is `<database id>.<uuid>`,
 * so whose job it is can be checked without loading the job (whose data can be megabytes).
 */
export function publicJobId(queue: QueueName, bullId: string): string {
  return `${queue}.${bullId}`;
}

export function newBullJobId(databaseId: string, uuid: string): string {
  return `${databaseId}.${uuid}`;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const PUBLIC_JOB_ID = new RegExp(`^([a-z-]+)\\.((${UUID})\\.${UUID})$`);

export function parsePublicJobId(jobId: string): { queue: QueueName; bullId: string; databaseId: string } | undefined {
  const m = PUBLIC_JOB_ID.exec(jobId);
  const queue = JOB_NAMES.find((name) => name === m?.[1]);
  return m && queue ? { queue, bullId: m[2], databaseId: m[3] } : undefined;
}
