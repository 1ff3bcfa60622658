import { Injectable } from '@nestjs/common';
import { rowKey, type DeleteJob, type DeleteResult } from '#contracts';
import { deleteRows, forgetQuarantined, recordDelete } from '#persistence';
import { JobRunner, type JobMeta } from '../jobs/job-runner.js';

/** Applies delete jobs: by keys (version-guarded), above a version, or all; quarantine entries they cover go too. */
@Injectable()
export class DeleteService {
  constructor(private readonly runner: JobRunner) {}

  delete(job: DeleteJob, meta: JobMeta): Promise<DeleteResult> {
    const { request } = job;
    const record = {
      jobType: 'delete' as const,
      meta,
      rows: request.mode === 'keys' ? request.versions.length : 0,
      bytes: 0,
      applied: (r: DeleteResult) => r.deleted,
      quarantined: () => 0,
    };
    return this.runner.recorded(job, `delete (${request.mode}) from "${job.table}"`, record, async (c) => {
      const deleted = await deleteRows(c, job.tenant, job.table, job.key, request);
      const keys =
        request.mode === 'keys'
          ? request.versions.map((_, r) =>
              rowKey(
                job.key,
                request.keys.map((k) => k[r]),
              ),
            )
          : [];
      await forgetQuarantined(c, job.tenant, job.table, request, keys);
      await recordDelete(c, job.tenant, job.table, request, deleted);
      return { deleted };
    });
  }
}
