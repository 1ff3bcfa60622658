import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { contentCells, MAX_CONTENT_ROWS, type ColumnDef, type RangeHashJob, type RangeHashResult } from '#contracts';
import { hashtextOf, hasQuarantine, quarantinedRowsIn, readContentRows, readRangeDigests } from '#persistence';
import { addToDigest, emptyDigest, rowHashInput, type RangeDigest } from '#sync';
import { JobRunner } from '../jobs/job-runner.js';
import { WorkerMetrics } from '../ops/worker-metrics.js';

/** Answers range hashes: count and digest of each version range, read-only. */
@Injectable()
export class RangeHashService {
  constructor(
    private readonly runner: JobRunner,
    private readonly metrics: WorkerMetrics,
  ) {}

  /**
   * Digests are computed in SQL, except an md5 content check's: that hashes every row's content with the agent's own
   * formula in JavaScript, so it loads the rows, at most MAX_CONTENT_ROWS a job. Quarantined rows count as present,
   * as in the manifest check.
   */
  async rangeHash(job: RangeHashJob): Promise<RangeHashResult> {
    const started = performance.now();
    const result = await this.digests(job);
    const rows = result.digests.reduce((n, d) => n + d.count, 0);
    this.metrics.checked(job, rows, (performance.now() - started) / 1000);
    return result;
  }

  private digests(job: RangeHashJob): Promise<RangeHashResult> {
    return this.runner.inTenant(job.tenant, `range hash of "${job.table}"`, async (c) => {
      const inJavaScript = job.columns !== undefined && job.hash !== 'hashtext';
      const digests = inJavaScript ? await contentDigests(c, job, job.columns!) : await readRangeDigests(c, job);
      if (!digests) return { overLimit: { maxRows: MAX_CONTENT_ROWS }, digests: [] };
      if (await hasQuarantine(c, job.tenant, job.table)) await addQuarantined(c, job, digests, inJavaScript);
      return { digests: digests.map((d) => ({ count: d.count, sum: d.sum.toString() })) };
    });
  }
}

/**
 * Adds the quarantined rows of the ranges to their digests. By hashtext only their key and version can be hashed (a
 * quarantined value has no stored form to print), so in a hashtext content check a range holding one differs and is
 * settled key by key (docs/difference-check.md, Hashes).
 */
async function addQuarantined(c: PoolClient, job: RangeHashJob, digests: RangeDigest[], inJavaScript: boolean) {
  const rows = await quarantinedRowsIn(c, job.tenant, job.table, job.ranges);
  const rangeOf = (version: bigint) =>
    job.ranges.findIndex((r) => version > BigInt(r.after) && version <= BigInt(r.upTo));
  const keyParts = (key: string) => (JSON.parse(key) as unknown[]).map(String);
  if (job.hash === 'hashtext') {
    const hashes = await hashtextOf(
      c,
      rows.map((q) => rowHashInput(keyParts(q.key), q.version)),
    );
    rows.forEach((q, i) => {
      const d = digests[rangeOf(q.version)];
      d.count++;
      d.sum += hashes[i];
    });
    return;
  }
  const types = inJavaScript ? job.columns!.map((col) => col.type) : undefined;
  for (const q of rows) {
    const cells =
      types &&
      contentCells(
        types,
        job.columns!.map((col) => q.row[col.name] ?? null),
      );
    addToDigest(digests[rangeOf(q.version)], keyParts(q.key), q.version, cells);
  }
}

/** Content digests of the ranges by md5, or undefined when they hold more rows than one job may load. */
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
