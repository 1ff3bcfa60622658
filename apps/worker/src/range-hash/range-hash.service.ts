import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { contentCells, MAX_CONTENT_ROWS, type ColumnDef, type RangeHashJob, type RangeHashResult } from '#contracts';
import { hasQuarantine, quarantinedRowsIn, readContentRows, readRangeDigests } from '#persistence';
import { addToDigest, emptyDigest, type RangeDigest } from '#sync';
import { JobRunner } from '../jobs/job-runner.js';

/** Answers range hashes: count and digest of each version range, read-only. */
@Injectable()
export class RangeHashService {
  constructor(private readonly runner: JobRunner) {}

  /**
   * Quarantined rows count as present, as in the manifest check. A content check (`columns`) hashes every row's content
   * too, in the worker with the agent's own formula, so it loads the rows: at most MAX_CONTENT_ROWS a job.
   */
  rangeHash(job: RangeHashJob): Promise<RangeHashResult> {
    return this.runner.inTenant(job.tenant, `range hash of "${job.table}"`, async (c) => {
      const digests = job.columns ? await contentDigests(c, job, job.columns) : await readRangeDigests(c, job);
      if (!digests) return { overLimit: { maxRows: MAX_CONTENT_ROWS }, digests: [] };
      if (await hasQuarantine(c, job.tenant, job.table)) {
        const types = job.columns?.map((col) => col.type);
        for (const q of await quarantinedRowsIn(c, job.tenant, job.table, job.ranges)) {
          const i = job.ranges.findIndex((r) => q.version > BigInt(r.after) && q.version <= BigInt(r.upTo));
          const cells =
            types &&
            contentCells(
              types,
              job.columns!.map((col) => q.row[col.name] ?? null),
            );
          addToDigest(digests[i], (JSON.parse(q.key) as unknown[]).map(String), q.version, cells);
        }
      }
      return { digests: digests.map((d) => ({ count: d.count, sum: d.sum.toString() })) };
    });
  }
}

/** Content digests of the ranges, or undefined when they hold more rows than one job may load. */
async function contentDigests(
  c: PoolClient,
  job: RangeHashJob,
  columns: ColumnDef[],
): Promise<RangeDigest[] | undefined> {
  const rows = await readContentRows(c, { ...job, columns }, MAX_CONTENT_ROWS);
  if (!rows) return undefined;
  const types = columns.map((col) => col.type);
  const digests = job.ranges.map(() => emptyDigest());
  let i = 0;
  for (const row of rows) {
    while (row.version > BigInt(job.ranges[i].upTo)) i++;
    addToDigest(digests[i], row.keyParts, row.version, contentCells(types, row.values));
  }
  return digests;
}
