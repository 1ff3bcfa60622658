import { Injectable } from '@nestjs/common';
import { MAX_MANIFEST_ROWS, type ManifestCheckJob, type ManifestCheckResult } from '#contracts';
import { quarantinedIn, quarantinedVersions, readManifest } from '#persistence';
import { diffManifest } from '#sync';
import { JobRunner } from '../jobs/job-runner.js';

/** Answers manifest checks: the key-level difference of some version ranges, read-only. */
@Injectable()
export class ManifestCheckService {
  constructor(private readonly runner: JobRunner) {}

  /**
   * A quarantined version counts as present remotely, so a refused row is not re-sent on every pass; a remote-only
   * key is reported at its newest quarantined version, so that a key deleted locally takes its quarantine entries
   * with it and one still present at that version is left alone.
   */
  manifestCheck(job: ManifestCheckJob): Promise<ManifestCheckResult> {
    return this.runner.inTenant(job.tenant, `manifest check of "${job.table}"`, async (c) => {
      const remote = await readManifest(c, job, MAX_MANIFEST_ROWS);
      if (!remote)
        return { overLimit: { maxRows: MAX_MANIFEST_ROWS }, remoteOnly: [], missingOrOlder: [], newerRemotely: [] };
      for (const [key, version] of await quarantinedIn(c, job.tenant, job.table, job.ranges)) {
        const had = remote.get(key);
        if (had === undefined || had < version) remote.set(key, version);
      }
      const local = new Map(job.keys.map((k, i) => [k, BigInt(job.versions[i])]));
      const diff = diffManifest(local, remote);
      const held = await quarantinedVersions(
        c,
        job.tenant,
        job.table,
        diff.remoteOnly.map((r) => r.key),
      );
      const remoteOnly = diff.remoteOnly.map((r) => {
        const refused = held.get(r.key);
        return refused !== undefined && refused > BigInt(r.version) ? { key: r.key, version: refused.toString() } : r;
      });
      return { ...diff, remoteOnly };
    });
  }
}
