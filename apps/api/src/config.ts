import { z } from 'zod';
import { MAX_TABLE_COLUMNS } from '#contracts';
import { redisSettingsProblem } from '#queues';

/** Where Bull Board is mounted (when BULL_BOARD_PASSWORD is set). */
export const BULL_BOARD_ROUTE = '/admin/queues';

const schema = z.object({
  ADMIN_TOKEN: z
    .string({ error: 'ADMIN_TOKEN is not set: the admin API cannot be protected without it' })
    .min(16, 'ADMIN_TOKEN must be at least 16 characters'),
  /** The key jobs are signed with, shared with the workers and never stored in Redis (see sealJob). */
  JOB_SIGNING_KEY: z
    .string({
      error:
        "JOB_SIGNING_KEY is not set: the workers could not tell the API's jobs from jobs added to Redis some other way",
    })
    .min(32, 'JOB_SIGNING_KEY must be at least 32 characters'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Address to listen on; loopback unless told otherwise (0.0.0.0 in a container). */
  HOST: z.string().default('127.0.0.1'),
  /** Largest request body of the routes that carry rows (upload, delete by keys, manifest check), in bytes. */
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(32 * 1024 * 1024),
  /** Largest request body of every other route (table definitions, markers, …), in bytes. */
  MAX_SMALL_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(256 * 1024),
  /**
   * Threads that parse, check and seal upload bodies (UploadIntake), so that a large batch never holds up the event
   * loop every other request waits on. One is enough to keep that loop free; more add throughput on more cores.
   */
  INTAKE_THREADS: z.coerce.number().int().min(1).max(64).default(1),
  /**
   * The intake threads' nice value (Linux: per thread; 0 = the API's own priority). When the API's cores are busy,
   * a flood's bulk parsing then yields them to the event loop's small requests, not the other way round.
   */
  INTAKE_NICE: z.coerce.number().int().min(0).max(19).default(10),
  /** Batch-size tuning bounds (docs/tuning.md). */
  TUNING_MIN_ROWS: z.coerce.number().int().positive().default(100),
  TUNING_MAX_ROWS: z.coerce.number().int().positive().default(20_000),
  TUNING_INITIAL_ROWS: z.coerce.number().int().positive().default(2000),
  // Also what another tenant's next job may wait for a worker slot: a short target keeps the queue turning over
  // under a flood (docs/tuning.md, Batch duration and fairness).
  TUNING_TARGET_MS: z.coerce.number().int().positive().default(250),
  TUNING_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(16 * 1024 * 1024),
  /**
   * Fair share (docs/sync-model.md, Bounded work and fair share): jobs one database may have waiting or running; beyond
   * it the API answers 429.
   */
  TENANT_MAX_JOBS: z.coerce.number().int().positive().default(64),
  /** What one tenant may hold, so that no tenant can grow the shared schema or catalog without bound. */
  MAX_DATABASES_PER_CUSTOMER: z.coerce.number().int().positive().default(100),
  MAX_TABLES_PER_DATABASE: z.coerce.number().int().positive().default(2000),
  MAX_COLUMNS_PER_TABLE: z.coerce.number().int().positive().max(MAX_TABLE_COLUMNS).default(600),
  /**
   * Registration changes (a new table, new columns) run DDL on tables shared with other tenants: at most this many
   * a minute per database, each waiting at most DDL_LOCK_TIMEOUT_MS for the table's lock (others' writes queue
   * behind a waiting DDL), else 429 and the agent retries.
   */
  REGISTRATION_CHANGES_PER_MINUTE: z.coerce.number().int().positive().default(120),
  DDL_LOCK_TIMEOUT_MS: z.coerce.number().int().positive().default(1000),
  /**
   * How long the API keeps a database's record (owner and secret hash) after reading it, so agents polling version
   * info cost no query to authenticate; the secret is still checked against the hash on every request.
   */
  AUTH_CACHE_MS: z.coerce.number().int().min(0).default(5_000),
  /** Every statement of the API gives up after this long (the workers have JOB_STATEMENT_TIMEOUT_MS). */
  STATEMENT_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  /** How long finished jobs keep their rows in Redis (the queue policy's Retention says why). */
  JOBS_KEEP_FAILED_DAYS: z.coerce.number().positive().default(7),
  JOBS_KEEP_COMPLETED_SECONDS: z.coerce.number().int().positive().default(300),
  /**
   * The credential Prometheus scrapes `/metrics` with (not the admin token); unset (or empty, as compose passes it),
   * `/metrics` is off.
   */
  METRICS_TOKEN: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').optional(),
  ),
  /** Label the fair share's refusals by database: one series per database, so off by default. */
  METRICS_PER_DATABASE: z.stringbool().default(false),
  /** Bull Board at /admin/queues, behind HTTP basic auth; without a password it is not mounted. */
  BULL_BOARD_USER: z.string().min(1).default('ops'),
  BULL_BOARD_PASSWORD: z.string().min(12, 'BULL_BOARD_PASSWORD must be at least 12 characters').optional(),
});
export type ApiConfig = z.infer<typeof schema>;

/** Reads the API's settings from the environment; throws one message naming every bad variable. */
export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const parsed = schema.safeParse(env);
  const problems = [...(parsed.error?.issues.map((i) => i.message) ?? []), redisSettingsProblem(env)].filter(Boolean);
  if (!parsed.success || problems.length) throw new Error(`bad API configuration: ${problems.join('; ')}`);
  return parsed.data;
}

export function tuningSettings(c: ApiConfig) {
  return {
    minRows: c.TUNING_MIN_ROWS,
    maxRows: c.TUNING_MAX_ROWS,
    initialRows: c.TUNING_INITIAL_ROWS,
    targetMs: c.TUNING_TARGET_MS,
    maxBytes: c.TUNING_MAX_BYTES,
  };
}
