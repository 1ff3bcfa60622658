import { workerData } from 'node:worker_threads';
import { takeUpload, type IntakeAnswer, type UploadTask } from './upload-intake.js';

/** An intake thread (UploadIntake's pool): takes uploads with the signing key the pool gave it. */
export default function intake(task: UploadTask): IntakeAnswer {
  return takeUpload(task, (workerData as { signingKey: string }).signingKey);
}
