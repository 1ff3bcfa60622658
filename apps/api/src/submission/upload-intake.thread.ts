import { setPriority } from 'node:os';
import { workerData } from 'node:worker_threads';
import { takeUpload, type IntakeAnswer, type UploadTask } from './upload-intake.js';

const { signingKey, nice } = workerData as { signingKey: string; nice: number };

// On Linux a nice value belongs to a thread, and this sets this thread's alone. Elsewhere it would lower the whole
// API's priority: left as it is there.
if (process.platform === 'linux') setPriority(nice);

/** An intake thread (UploadIntake's pool): takes uploads with the signing key the pool gave it. */
export default function intake(task: UploadTask): IntakeAnswer {
  return takeUpload(task, signingKey);
}
