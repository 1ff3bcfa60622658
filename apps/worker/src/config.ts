import { z } from 'zod';
import { QUEUE_NAMES, type QueueName } from '#contracts';
import { jobSlots, redisSettingsProblem } from '#queues';

const schema = z.object({
  /**
   * The queues this worker consumes, comma-separated; all of them by default. A worker for the express lane alone
   * (`upload-express`) runs small uploads on an event loop that no large batch holds (docs/operations.md).
   */
  WORKER_QUEUES: z
    .string()
    .default(QUEUE_NAMES.join(','))
    .transform((v) => [...new Set(v.split(',').map((q) => q.trim()))])
    .pipe(
      z
        .array(
          z.enum(QUEUE_NAMES as [QueueName, ...QueueName[]], {
            error: (i) => `"${String(i.input)}" is not a queue (${QUEUE_NAMES.join(', ')})`,
          }),
        )
        .min(1),
    ),
  /** PostgreSQL connections per worker process: by default one for each job it runs at once, none waits for one. */
  PG_POOL_SIZE: z.coerce.number().int().positive().default(jobSlots()),
  /**
   * Every statement of a job gives up after this long: no job, however it was made, holds a PostgreSQL backend
   * longer. A job that runs out fails at once (it would only run out again) with a message saying so.
   */
  JOB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  /** The ops port: `/health` (terminus) and `/metrics` (Prometheus). 0 picks a free port. */
  OPS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** Loopback by default: an ops port is opened wider on purpose (in a container, 0.0.0.0). */
  OPS_HOST: z.string().default('127.0.0.1'),
  /** The credential Prometheus scrapes `/metrics` with; unset (or empty, as compose passes it), `/metrics` is off. */
  METRICS_TOKEN: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').optional(),
  ),
  /** Label rows applied and quarantined by database too: one series per database and table, so off by default. */
  METRICS_PER_DATABASE: z.stringbool().default(false),
  /** The key the API signs jobs with (the same on the API and every worker; never stored in Redis). */
  JOB_SIGNING_KEY: z
    .string({
      error:
        "JOB_SIGNING_KEY is not set: the worker cannot tell the API's jobs from jobs added to Redis some other way",
    })
    .min(32, 'JOB_SIGNING_KEY must be at least 32 characters'),
});
export type WorkerConfig = z.infer<typeof schema>;

/** Reads the worker's settings from the environment; throws one message naming every bad variable. */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const parsed = schema.safeParse(env);
  const problems = [
    ...(parsed.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? []),
    redisSettingsProblem(env),
  ].filter(Boolean);
  if (!parsed.success || problems.length) throw new Error(`bad worker configuration: ${problems.join('; ')}`);
  return parsed.data;
}
