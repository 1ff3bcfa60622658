import { BadRequestException, Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { setFlagsFromString } from 'node:v8';
import { Piscina } from 'piscina';
import type { ApiConfig } from '../config.js';
import type { ReadyJob } from '../jobs/ready-job.js';
import { API_CONFIG } from '../tokens.js';
import { takeUpload, type IntakeAnswer, type UploadTask } from './upload-intake.js';

/** Bodies up to this size are taken on the main thread (well under a millisecond of it). */
const INLINE_MAX_BYTES = 64 * 1024;

/**
 * The intake threads (INTAKE_THREADS): each upload's body is parsed, checked and sealed there (takeUpload), never on
 * the event loop that answers every tenant's requests. A 20,000-row batch took that loop for tens of milliseconds,
 * and under one tenant's flood every other tenant's request waited behind such batches.
 */
@Injectable()
export class UploadIntake implements OnApplicationShutdown {
  private readonly pool: Piscina<UploadTask, IntakeAnswer>;

  private readonly signingKey: string;

  constructor(@Inject(API_CONFIG) config: ApiConfig) {
    this.signingKey = config.JOB_SIGNING_KEY;
    // The API's own --max-semi-space-size (scripts/lib/service-command.ts) would set these threads' young generation
    // too, over their resourceLimits. V8 reads it when an isolate is made: cleared now, the main thread keeps its own.
    setFlagsFromString('--max-semi-space-size=0');
    this.pool = new Piscina({
      filename: new URL('./upload-intake.thread.js', import.meta.url).href,
      minThreads: config.INTAKE_THREADS,
      maxThreads: config.INTAKE_THREADS,
      workerData: { signingKey: config.JOB_SIGNING_KEY, nice: config.INTAKE_NICE },
      // A small young generation: each body's parse is garbage at once, collected early rather than piled up.
      resourceLimits: { maxYoungGenerationSizeMb: 8 },
    });
  }

  /**
   * The upload's sealed job; a 400 naming what is wrong with the request. A small body is taken here at once: it
   * costs the event loop less than a hop to a thread, and must not wait in the threads' queue behind a flood's batches.
   */
  async take(task: UploadTask): Promise<ReadyJob> {
    const answer =
      (task.body?.byteLength ?? 0) <= INLINE_MAX_BYTES
        ? takeUpload(task, this.signingKey)
        : await this.pool.run(task, { transferList: ownMemory(task.body) });
    if (answer.problem !== undefined) throw new BadRequestException(answer.problem);
    return answer.job;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.close();
  }
}

/**
 * The body's memory, to move to the thread rather than copy, when the body is all of it (a large body read by the
 * HTTP server has memory of its own; a small one may share a pool with other buffers, which moving would take away).
 */
function ownMemory(body: Uint8Array | undefined): ArrayBuffer[] {
  const memory = body?.buffer;
  return memory instanceof ArrayBuffer && body!.byteOffset === 0 && memory.byteLength === body!.byteLength
    ? [memory]
    : [];
}
