import { Injectable } from '@nestjs/common';
import type { RangeHashJob, RangeHashResult } from '#contracts';
import { hasQuarantine, quarantinedIn, readRangeDigests } from '#persistence';
import { rowHash } from '#sync';
import { JobRunner } from '../jobs/job-runner.js';

/** Answers range hashes: count and digest of each version range, read-only. */
@Injectable()
export class RangeHashService {
  constructor(private readonly runner: JobRunner) {}

  /** Quarantined rows count as present, as in the manifest check. */
  rangeHash(job: RangeHashJob): Promise<RangeHashResult> {
    return this.runner.inTenant(job.tenant, `range hash of "${job.table}"`, async (c) => {
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
}
