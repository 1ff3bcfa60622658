import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import type { Pool, PoolClient } from 'pg';
import type { DeleteJob, DeleteResult, ManifestCheckJob, ManifestCheckResult, TenantRef, UploadJob, UploadResult } from '#contracts';
import { deleteRows, describePgError, isDataError, readManifest, recordDelete, recordUpload, upsertRows, withTenant } from '#persistence';
import { diffManifest } from '#sync';

export const PG_POOL = Symbol('PG_POOL');

/** Applies jobs to the tenant-partitioned tables; each job is one tenant-scoped transaction. */
@Injectable()
export class ApplyService implements OnApplicationShutdown {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  upload(job: UploadJob): Promise<UploadResult> {
    return this.inTenant(job.tenant, `upload of ${job.rows.versions.length} rows to "${job.table}"`, async (c) => {
      const applied = await upsertRows(c, job);
      await recordUpload(c, job.tenant, job.table, { ...applied, range: job.range });
      return { applied: applied.applied, inserted: applied.inserted, skippedOlder: applied.skippedOlder };
    });
  }

  delete(job: DeleteJob): Promise<DeleteResult> {
    return this.inTenant(job.tenant, `delete (${job.request.mode}) from "${job.table}"`, async (c) => {
      const deleted = await deleteRows(c, job.tenant, job.table, job.key, job.request);
      await recordDelete(c, job.tenant, job.table, job.request, deleted);
      return { deleted };
    });
  }

  manifestCheck(job: ManifestCheckJob): Promise<ManifestCheckResult> {
    return this.inTenant(job.tenant, `manifest check of "${job.table}"`, async (c) => {
      const remote = await readManifest(c, job);
      const local = new Map(job.keys.map((k, i) => [k, BigInt(job.versions[i])]));
      return diffManifest(local, remote);
    });
  }

  /** Data errors fail the job at once with PostgreSQL's own words; anything else is retried with backoff. */
  private async inTenant<T>(tenant: TenantRef, what: string, work: (c: PoolClient) => Promise<T>): Promise<T> {
    try {
      return await withTenant(this.pool, tenant, work);
    } catch (err) {
      if (isDataError(err)) throw new UnrecoverableError(`${what} was refused by PostgreSQL: ${describePgError(err)}`);
      throw err;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
