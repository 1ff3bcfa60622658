import { uploadRequestSchema, type TenantRef } from '#contracts';
import type { TableShape } from '#persistence';
import { schemaProblems } from '../common/schema-problems.js';
import { readyJob, type ReadyJob } from '../jobs/ready-job.js';
import { uploadJob, type Checked } from './upload-job.js';

/** An upload as the API's main thread hands it to an intake thread: the request's bytes, unread, and its table. */
export interface UploadTask {
  /** The request body as received (a Buffer arrives in a thread as a Uint8Array); undefined when there was none. */
  body: Uint8Array | undefined;
  tenant: TenantRef;
  table: string;
  shape: TableShape;
}

export type IntakeAnswer = Checked<ReadyJob>;

/**
 * An upload request's bytes made into its sealed job, or the 400's message: parsed, checked against the request
 * schema and the table's registration, its bad rows set aside, serialised and signed, all in one place. This is the
 * costly part of the API's work on a large batch (tens of milliseconds for 20,000 rows), so it runs on an intake
 * thread (UploadIntake), and the main thread stays free for every other tenant's requests.
 */
export function takeUpload(task: UploadTask, signingKey: string): IntakeAnswer {
  let request: unknown;
  if (task.body !== undefined) {
    try {
      request = JSON.parse(new TextDecoder().decode(task.body));
    } catch (err) {
      return { problem: `the request body is not valid JSON: ${(err as Error).message}` };
    }
  }
  const parsed = uploadRequestSchema.safeParse(request);
  if (!parsed.success) return { problem: `invalid request body: ${schemaProblems(parsed.error.issues)}` };
  const made = uploadJob(task.tenant, task.table, task.shape, parsed.data, task.body?.byteLength ?? 0);
  return made.problem === undefined ? { job: readyJob('upload', made.job, signingKey) } : made;
}
