import {
  MAX_JOB_WAIT_MS,
  type BackfillProgress,
  type DeleteRequest,
  type EnqueuedJob,
  type JobId,
  type JobMap,
  type JobName,
  type JobStatus,
  type ManifestCheckRequest,
  type MarkerFacts,
  type MarkerRequest,
  type RangeHashRequest,
  type RegisteredTableInfo,
  type TableDefinition,
  type UploadRequest,
  type VersionInfo,
} from '#contracts';
import type { Credentials } from './config.js';
import { HttpExchange } from './http-exchange.js';

/** The API refused the request (4xx): retrying the same request cannot help. */
export class ApiRefusedError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The API could not be reached or kept failing (network, 5xx, 429) through every retry. */
export class ApiUnavailableError extends Error {}

export interface RetryPolicy {
  attempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 8, firstDelayMs: 250, maxDelayMs: 30_000 };

/** The agent's side of the API. Network errors, 5xx and 429 are retried with backoff (429 honours Retry-After). */
export class ApiClient {
  /** The HTTP client: its traffic (bytes, requests) is what the agent costs on the customer's line. */
  readonly http: HttpExchange;

  /** Cloud name → local name, the other way round from `remoteNames`. */
  private readonly localNames: Map<string, string>;

  /**
   * `remoteNames` maps a local table to the cloud table it syncs to, where they differ: every call takes and gives
   * local names, and only the paths carry the cloud's.
   */
  constructor(
    baseUrl: string,
    private readonly creds?: Credentials,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
    private readonly remoteNames: ReadonlyMap<string, string> = new Map(),
  ) {
    this.localNames = new Map([...remoteNames].map(([local, remote]) => [remote, local]));
    this.http = new HttpExchange(baseUrl);
  }

  /** Bytes of request and response bodies, and requests, so far. */
  get traffic() {
    return this.http.traffic;
  }

  registerDatabase(customerId: string, enrollmentKey: string, name: string) {
    return this.send<Credentials>('post', `/v1/customers/${customerId}/databases`, { name }, enrollmentKey);
  }

  registerTable(table: string, def: TableDefinition) {
    return this.send<RegisteredTableInfo>('put', this.tablePath(table), def);
  }

  /** Version info of every table this agent syncs, by local name (a cloud table no local one maps to is left out). */
  async allVersionInfo(): Promise<VersionInfo[]> {
    const all = await this.send<VersionInfo[]>('get', `${this.dbPath()}/tables`);
    return all.flatMap((i) => {
      const local = this.localNames.get(i.table) ?? (this.remoteNames.has(i.table) ? undefined : i.table);
      return local === undefined ? [] : [{ ...i, table: local }];
    });
  }

  async versionInfo(table: string): Promise<VersionInfo> {
    return { ...(await this.send<VersionInfo>('get', this.tablePath(table))), table };
  }

  /** The batch size the API recommends from the table's history, and why. */
  tuning(table: string) {
    return this.send<{ rows: number; reason: string; skipAhead: boolean; settings: { minRows: number } }>(
      'get',
      `${this.tablePath(table)}/tuning`,
    );
  }

  async upload(table: string, req: UploadRequest): Promise<JobId<'upload'>> {
    return (await this.send<EnqueuedJob>('post', this.tablePath(table), req)).jobId as JobId<'upload'>;
  }

  async delete(table: string, req: DeleteRequest): Promise<JobId<'delete'>> {
    return (await this.send<EnqueuedJob>('delete', this.tablePath(table), req)).jobId as JobId<'delete'>;
  }

  async rangeHash(table: string, req: RangeHashRequest): Promise<JobId<'range-hash'>> {
    return (await this.send<EnqueuedJob>('post', `${this.tablePath(table)}/range-hash`, req))
      .jobId as JobId<'range-hash'>;
  }

  async manifestCheck(table: string, req: ManifestCheckRequest): Promise<JobId<'manifest-check'>> {
    return (await this.send<EnqueuedJob>('post', `${this.tablePath(table)}/manifest-check`, req))
      .jobId as JobId<'manifest-check'>;
  }

  /** Records that the rows up to `next` were sent again; `next` null: the backfill is done. */
  async backfillProgress(table: string, progress: BackfillProgress): Promise<void> {
    await this.send('post', `${this.tablePath(table)}/backfill`, progress);
  }

  /** What the server knows of the database's markers, and of the newest local one (docs/sync-model.md, Restores). */
  markerFacts(localMarkerId: string | undefined) {
    return this.send<MarkerFacts>(
      'get',
      `${this.dbPath()}/markers${localMarkerId ? `?local=${encodeURIComponent(localMarkerId)}` : ''}`,
    );
  }

  /** Records a marker with the server before it is written locally. */
  async recordMarker(marker: MarkerRequest): Promise<void> {
    await this.send('post', `${this.dbPath()}/markers`, marker);
  }

  /** A restore to this marker has been handled for every table. */
  async markerRestored(markerId: string): Promise<void> {
    await this.send('post', `${this.dbPath()}/markers/${encodeURIComponent(markerId)}/restored`);
  }

  /** A job's status; with `waitMs`, once it has finished or after that long at the latest (a long poll). */
  job(jobId: string, waitMs = 0) {
    return this.send<JobStatus>(
      'get',
      `${this.dbPath()}/jobs/${encodeURIComponent(jobId)}${waitMs > 0 ? `?waitMs=${waitMs}` : ''}`,
    );
  }

  /**
   * Waits for a job until it completed or failed for good, by long polls; a failure throws with the worker's reason.
   */
  async waitForJob<N extends JobName>(jobId: JobId<N>, timeoutMs = 10 * 60_000): Promise<JobMap[N]['result']> {
    const deadline = Date.now() + timeoutMs;
    let pause = 20;
    for (;;) {
      const asked = Date.now();
      const s = await this.job(jobId, Math.max(1, Math.min(MAX_JOB_WAIT_MS, deadline - asked)));
      if (s.state === 'completed') return s.result as JobMap[N]['result'];
      if (s.state === 'failed') throw new Error(`job ${jobId} failed after ${s.attemptsMade} attempt(s): ${s.error}`);
      if (Date.now() > deadline) throw new Error(`job ${jobId} still ${s.state} after ${timeoutMs} ms`);
      // An answer at once (a job between attempts, or an API without long polls) is asked again after a growing pause.
      if (Date.now() - asked < pause) {
        await sleep(pause);
        pause = Math.min(pause * 2, 500);
      }
    }
  }

  private dbPath(): string {
    if (!this.creds) throw new Error('no credentials: run "rowferry-agent register" first');
    return `/v1/customers/${this.creds.customerId}/databases/${this.creds.databaseId}`;
  }

  private tablePath(table: string): string {
    return `${this.dbPath()}/tables/${encodeURIComponent(this.remoteNames.get(table) ?? table)}`;
  }

  private async send<T>(
    method: 'get' | 'post' | 'put' | 'delete',
    path: string,
    body?: unknown,
    bearer = this.creds?.secret,
  ): Promise<T> {
    let lastProblem = '';
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      let waitMs =
        Math.min(this.retry.maxDelayMs, this.retry.firstDelayMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
      try {
        const res = await this.http.request(method, path, body, bearer ? { authorization: `Bearer ${bearer}` } : {});
        if (res.status < 300) return res.data as T;
        if (res.status < 400)
          throw new ApiRefusedError(
            res.status,
            `${method.toUpperCase()} ${path} → ${res.status}: the API answered with a redirect to ${res.headers.location ?? '(none)'}; set api.url to the API's own address`,
          );
        const message = typeof res.data?.message === 'string' ? res.data.message : JSON.stringify(res.data);
        if (res.status === 429) {
          const retryAfter = Number(res.headers['retry-after']);
          if (Number.isFinite(retryAfter)) waitMs = retryAfter * 1000;
        } else if (res.status < 500) {
          throw new ApiRefusedError(res.status, `${method.toUpperCase()} ${path} → ${res.status}: ${message}`);
        }
        lastProblem = `${res.status}: ${message}`;
      } catch (err) {
        if (err instanceof ApiRefusedError) throw err;
        lastProblem = err instanceof Error ? err.message : String(err);
      }
      if (attempt < this.retry.attempts) await sleep(waitMs);
    }
    throw new ApiUnavailableError(
      `${method.toUpperCase()} ${path} failed ${this.retry.attempts} times; last: ${lastProblem}`,
    );
  }
}

export { pieces } from './http-exchange.js';

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
