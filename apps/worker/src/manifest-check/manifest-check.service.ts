import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import {
  contentCells,
  MAX_CONTENT_ROWS,
  MAX_MANIFEST_ROWS,
  type ManifestCheckJob,
  type ManifestCheckResult,
} from '#contracts';
import { quarantinedIn, quarantinedVersions, readContentRows, readManifest } from '#persistence';
import { contentHash, diffManifest } from '#sync';
import { JobRunner } from '../jobs/job-runner.js';

/** Answers manifest checks: the key-level difference of some version ranges, read-only. */
@Injectable()
export class ManifestCheckService {
  constructor(private readonly runner: JobRunner) {}

  /**
   * A quarantined version counts as present remotely, so a refused row is not re-sent on every pass; a remote-only
   * key is reported at its newest quarantined version, so that a key deleted locally takes its quarantine entries
   * with it and one still present at that version is left alone. A content check also compares, for every key whose
   * remote row has the agent's version, the content hashes.
   */
  manifestCheck(job: ManifestCheckJob): Promise<ManifestCheckResult> {
    return this.runner.inTenant(job.tenant, `manifest check of "${job.table}"`, async (c) => {
      const content = job.columns ? await remoteContents(c, job) : undefined;
      const remote = content ? content.versions : await readManifest(c, job, MAX_MANIFEST_ROWS);
      if (!remote) {
        const maxRows = job.columns ? MAX_CONTENT_ROWS : MAX_MANIFEST_ROWS;
        return { overLimit: { maxRows }, remoteOnly: [], missingOrOlder: [], newerRemotely: [] };
      }
      const contentDiffers = content?.versions && differingContent(job, content.versions, content.hashes);
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
      return { ...diff, remoteOnly, ...(contentDiffers ? { contentDiffers } : {}) };
    });
  }
}

/** The remote rows' versions and content hashes by canonical key, or nothing when there are too many to load. */
async function remoteContents(c: PoolClient, job: ManifestCheckJob) {
  const rows = await readContentRows(c, { ...job, columns: job.columns! }, MAX_CONTENT_ROWS);
  if (!rows) return { versions: undefined, hashes: new Map<string, string>() };
  const types = job.columns!.map((col) => col.type);
  const versions = new Map<string, bigint>();
  const hashes = new Map<string, string>();
  for (const r of rows) {
    const key = JSON.stringify(r.keyParts);
    versions.set(key, r.version);
    hashes.set(key, contentHash(contentCells(types, r.values)));
  }
  return { versions, hashes };
}

/** Keys whose remote row has the agent's version but another content hash (read before the quarantine is merged). */
function differingContent(job: ManifestCheckJob, versions: Map<string, bigint>, hashes: Map<string, string>): string[] {
  const differs: string[] = [];
  job.keys.forEach((key, i) => {
    if (versions.get(key) === BigInt(job.versions[i]) && hashes.get(key) !== job.contents![i]) differs.push(key);
  });
  return differs;
}
