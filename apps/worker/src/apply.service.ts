import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import type { Pool, PoolClient } from 'pg';
import {
  MAX_MANIFEST_ROWS,
  newestPerKey,
  rowKey,
  rowKeys,
  sliceRows,
  type ColumnarRows,
  type DeleteJob,
  type DeleteResult,
  type JobName,
  type ManifestCheckJob,
  type ManifestCheckResult,
  type RangeHashJob,
  type RangeHashResult,
  type TenantRef,
  type UploadJob,
  type UploadResult,
} from '#contracts';
import {
  classifyPgError,
  deleteRows,
  describePgError,
  forgetQuarantined,
  hasQuarantine,
  quarantinedIn,
  quarantinedVersions,
  readRangeDigests,
  quarantineRows,
  readManifest,
  recordBatch,
  recordDelete,
  recordUpload,
  replaceRows,
  resolveQuarantine,
  StaleTimelineError,
  upsertRows,
  withTenant,
  type AppliedUpload,
  type PoisonRow,
} from '#persistence';
import { diffManifest, rowHash } from '#sync';

export const PG_POOL = Symbol('PG_POOL');

/** Which attempt of which job this is, for the batch history. */
export interface JobMeta {
  jobId: string;
  attempt: number;
}

/** Applies jobs to the tenant-partitioned tables; each job is one tenant-scoped transaction. */
@Injectable()
export class ApplyService implements OnApplicationShutdown {
  private readonly log = new Logger('worker');

  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /**
   * Upserts a batch. When PostgreSQL refuses a row's content, the batch is split and the halves retried (inside
   * savepoints, in the same transaction) down to single rows; those go to the quarantine and the rest applies, so
   * the table moves on (skip ahead) and nothing is lost (design §4).
   */
  upload(job: UploadJob, meta: JobMeta): Promise<UploadResult> {
    const sent = job.rows.versions.length + (job.refused?.reasons.length ?? 0);
    return this.recorded('upload', job, meta, sent, job.bytes, (r) => r.quarantined, async () =>
      this.inTenant(job.tenant, `upload of ${sent} rows to "${job.table}"`, async (c) => {
        // Rows the API already refused (a value of the wrong type, a NULL key) are quarantined with the others.
        const poison: PoisonRow[] = job.refused ? job.refused.reasons.map((reason, r) => this.poisonRow(job, sliceRows(job.refused!.rows, r, r + 1), reason)) : [];
        const replaced = job.replace ? await this.replaceNewer(c, job, job.replace) : 0;
        const rows = newestPerKey(job.key, job.rows);
        const applied = await this.upsertIsolating(c, job, rows, poison);
        await quarantineRows(c, job.tenant, job.table, poison);
        if (await hasQuarantine(c, job.tenant, job.table)) await resolveQuarantine(c, job.tenant, job.table, appliedKeys(job, rows, poison));
        // A replaced row may have been the remote maximum: it is counted again rather than assumed.
        await recordUpload(c, job.tenant, job.table, { ...applied, maxVersion: replaced ? 'recompute' : applied.maxVersion, range: job.range, timeline: job.timeline });
        return { applied: applied.applied, inserted: applied.inserted, skippedOlder: applied.skippedOlder, quarantined: poison.length };
      }),
    );
  }

  delete(job: DeleteJob, meta: JobMeta): Promise<DeleteResult> {
    const rows = job.request.mode === 'keys' ? job.request.versions.length : 0;
    return this.recorded('delete', job, meta, rows, 0, () => 0, () =>
      this.inTenant(job.tenant, `delete (${job.request.mode}) from "${job.table}"`, async (c) => {
        const deleted = await deleteRows(c, job.tenant, job.table, job.key, job.request);
        const { request } = job;
        const keys = request.mode === 'keys' ? request.versions.map((_, r) => rowKey(job.key, request.keys.map((k) => k[r]))) : [];
        await forgetQuarantined(c, job.tenant, job.table, request, keys);
        await recordDelete(c, job.tenant, job.table, job.request, deleted);
        return { deleted };
      }),
    );
  }

  /**
   * The key-level diff of some version ranges. A quarantined version counts as present remotely, so a refused row
   * is not re-sent on every pass; a remote-only key is reported at its newest quarantined version, so that a key
   * deleted locally takes its quarantine entries with it and one still present at that version is left alone.
   */
  manifestCheck(job: ManifestCheckJob): Promise<ManifestCheckResult> {
    return this.inTenant(job.tenant, `manifest check of "${job.table}"`, async (c) => {
      const remote = await readManifest(c, job, MAX_MANIFEST_ROWS);
      if (!remote) return { overLimit: { maxRows: MAX_MANIFEST_ROWS }, remoteOnly: [], missingOrOlder: [], newerRemotely: [] };
      for (const [key, version] of await quarantinedIn(c, job.tenant, job.table, job.ranges)) {
        const had = remote.get(key);
        if (had === undefined || had < version) remote.set(key, version);
      }
      const local = new Map(job.keys.map((k, i) => [k, BigInt(job.versions[i])]));
      const diff = diffManifest(local, remote);
      const held = await quarantinedVersions(c, job.tenant, job.table, diff.remoteOnly.map((r) => r.key));
      const remoteOnly = diff.remoteOnly.map((r) => {
        const refused = held.get(r.key);
        return refused !== undefined && refused > BigInt(r.version) ? { key: r.key, version: refused.toString() } : r;
      });
      return { ...diff, remoteOnly };
    });
  }

  /** Count and digest of each range; quarantined rows count as present, as in manifestCheck. */
  rangeHash(job: RangeHashJob): Promise<RangeHashResult> {
    return this.inTenant(job.tenant, `range hash of "${job.table}"`, async (c) => {
      const digests = await readRangeDigests(c, job);
      if (await hasQuarantine(c, job.tenant, job.table)) {
        for (const [key, version] of await quarantinedIn(c, job.tenant, job.table, job.ranges)) {
          const i = job.ranges.findIndex((r) => version > BigInt(r.after) && version <= BigInt(r.upTo));
          const parsed: unknown[] = JSON.parse(key);
          digests[i].count++;
          digests[i].sum += rowHash(parsed.map(String), version);
        }
      }
      return { digests: digests.map((d) => ({ count: d.count, sum: d.sum.toString() })) };
    });
  }

  /**
   * The compare-and-set replace of rows newer remotely (design §3.3). A row whose content PostgreSQL refuses is left
   * to the upsert that follows, which isolates it into the quarantine.
   */
  private async replaceNewer(c: PoolClient, job: UploadJob, replace: string[]): Promise<number> {
    await c.query('SAVEPOINT replace');
    try {
      const n = await replaceRows(c, job, replace);
      await c.query('RELEASE SAVEPOINT replace');
      return n;
    } catch (err) {
      await c.query('ROLLBACK TO SAVEPOINT replace');
      if (classifyPgError(err) !== 'row-data') throw err;
      return 0;
    }
  }

  private async upsertIsolating(c: PoolClient, job: UploadJob, rows: ColumnarRows, poison: PoisonRow[]): Promise<AppliedUpload> {
    await c.query('SAVEPOINT batch');
    try {
      const applied = await upsertRows(c, { ...job, rows });
      await c.query('RELEASE SAVEPOINT batch');
      return applied;
    } catch (err) {
      await c.query('ROLLBACK TO SAVEPOINT batch');
      if (classifyPgError(err) !== 'row-data') throw err;
      const n = rows.versions.length;
      if (n === 1) {
        poison.push(this.poisonRow(job, rows, describePgError(err)));
        return { applied: 0, inserted: 0, skippedOlder: 0, maxVersion: undefined };
      }
      const half = Math.ceil(n / 2);
      const a = await this.upsertIsolating(c, job, sliceRows(rows, 0, half), poison);
      const b = await this.upsertIsolating(c, job, sliceRows(rows, half, n), poison);
      return {
        applied: a.applied + b.applied,
        inserted: a.inserted + b.inserted,
        skippedOlder: a.skippedOlder + b.skippedOlder,
        maxVersion: a.maxVersion === undefined ? b.maxVersion : b.maxVersion === undefined || a.maxVersion > b.maxVersion ? a.maxVersion : b.maxVersion,
      };
    }
  }

  private poisonRow(job: UploadJob, rows: ColumnarRows, error: string): PoisonRow {
    const row = Object.fromEntries(rows.columns.map((name, i) => [name, rows.values[i][0]]));
    return { key: rowKeys(job.key, rows)[0], version: rows.versions[0], row, error };
  }

  /** Records every attempt in the batch history, failures included, then passes the outcome on. */
  private async recorded<T>(
    jobType: JobName,
    job: { tenant: TenantRef; table: string },
    meta: JobMeta,
    rows: number,
    bytes: number,
    quarantined: (result: T) => number,
    work: () => Promise<T>,
  ): Promise<T> {
    const started = performance.now();
    const base = { tenant: job.tenant, table: job.table, jobType, jobId: meta.jobId, attempt: meta.attempt, rows, bytes };
    try {
      const result = await work();
      const q = quarantined(result);
      await withTenant(this.pool, job.tenant, (c) => recordBatch(c, { ...base, durationMs: performance.now() - started, outcome: q ? 'partial' : 'applied', quarantined: q }));
      return result;
    } catch (err) {
      const errorClass = err instanceof UnrecoverableError ? 'schema' : 'transient';
      await withTenant(this.pool, job.tenant, (c) =>
        recordBatch(c, { ...base, durationMs: performance.now() - started, outcome: 'failed', quarantined: 0, errorClass, error: err instanceof Error ? err.message : String(err) }),
      ).catch(
        () => undefined, // the database may be what failed; the job's own failure is what matters
      );
      throw err;
    }
  }

  /**
   * Statement-level refusals fail at once with PostgreSQL's own words; so does a statement that ran out of time.
   * Anything else (a lost connection, a deadlock) is retried with backoff, under a message that tells the tenant
   * what happened without the driver's internals (hosts, addresses): those go to the worker's log.
   */
  private async inTenant<T>(tenant: TenantRef, what: string, work: (c: PoolClient) => Promise<T>): Promise<T> {
    try {
      return await withTenant(this.pool, tenant, work);
    } catch (err) {
      if (err instanceof StaleTimelineError) throw new UnrecoverableError(`${what}: ${err.message}`);
      switch (classifyPgError(err)) {
        case 'over-budget':
          throw new UnrecoverableError(`${what} ran longer than the statement timeout and was stopped: ask for less work a job`);
        case 'transient':
          this.log.warn(`${what} for database ${tenant.databaseId} failed, to be retried: ${describePgError(err)}`);
          throw new Error(`${what} failed on a passing fault (the cloud database was unreachable, restarting or busy); it is retried`);
        default:
          throw new UnrecoverableError(`${what} was refused by PostgreSQL: ${describePgError(err)}`);
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}

/** The (key, version) pairs of a batch that applied: every row but the quarantined ones. */
function appliedKeys(job: UploadJob, rows: ColumnarRows, poison: PoisonRow[]): { key: string; version: string }[] {
  const bad = new Set(poison.map((p) => `${p.key}@${p.version}`));
  return rowKeys(job.key, rows)
    .map((key, r) => ({ key, version: rows.versions[r] }))
    .filter((k) => !bad.has(`${k.key}@${k.version}`));
}
