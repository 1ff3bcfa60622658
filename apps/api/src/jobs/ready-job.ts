import { sealJob, type JobMap, type JobName, type QueueName, type SealedJob } from '#contracts';
import { queueFor } from '#queues';

/** A job made and sealed, ready to be enqueued: made on the API's main thread, or by an intake thread (uploads). */
export interface ReadyJob {
  queue: QueueName;
  /** The job's name as Bull Board shows it. */
  description: string;
  data: SealedJob;
}

export function readyJob<N extends JobName>(name: N, data: JobMap[N]['data'], signingKey: string): ReadyJob {
  return { queue: queueFor(name, data), description: describeJob(name, data), data: sealJob(data, signingKey) };
}

/** The job's name as Bull Board shows it: enough to act on at a glance (job type, table, rows, versions, tenant). */
function describeJob<N extends JobName>(name: N, data: JobMap[N]['data']): string {
  const tenant = `database ${data.tenant.databaseId} (customer ${data.tenant.customerId})`;
  if ('rows' in data) {
    const range = data.range ? `versions (${data.range.after}, ${data.range.upTo}]` : 'repair';
    return `upload ${data.table}: ${data.rows.versions.length} rows, ${range}, ${tenant}`;
  }
  if ('request' in data) {
    const r = data.request;
    const what =
      r.mode === 'keys' ? `${r.versions.length} keys` : r.mode === 'above' ? `versions above ${r.version}` : 'all rows';
    return `delete ${data.table}: ${what}, ${tenant}`;
  }
  const ranges =
    data.ranges.length === 1
      ? `versions (${data.ranges[0].after}, ${data.ranges[0].upTo}]`
      : `${data.ranges.length} version ranges`;
  if ('keys' in data) return `manifest-check ${data.table}: ${ranges}, ${data.keys.length} keys, ${tenant}`;
  return `range-hash ${data.table}: ${ranges}, ${tenant}`;
}
