import {
  decodeKey,
  type DigestHash,
  MAX_CHECK_RANGES,
  MAX_CONTENT_ROWS,
  MAX_MANIFEST_ROWS,
  type JobId,
  toWireRange,
  type VersionRange,
  type WireValue,
} from '#contracts';
import { bisectStep, halveRanges, nextSlice, type RangeDigest } from '#sync';
import type { ApiClient } from './api-client.js';
import { InFlight } from './in-flight.js';
import { DigestHashChanged, keyTypes, type Source, type SourceTable } from './sources/source.js';
import type { PassReport, PassSettings } from './table-pass.js';

/** The difference check of one table, run by a pass that finds the table equal: docs/difference-check.md. */
export class DifferenceCheck {
  constructor(
    private readonly source: Source,
    private readonly api: ApiClient,
    private readonly settings: PassSettings,
  ) {}

  /**
   * The difference check (docs/difference-check.md): the next contiguous version slice, compared by count and digest;
   * where the two sides differ the range is split and the parts compared, down to key lists for small ranges, which are
   * then repaired. An equal slice costs one digest per side and a few bytes on the wire. A content check (`content`)
   * hashes every column of every row too (docs/difference-check.md, Content), so it also finds a row whose content
   * differs under the same version, and repairs it by sending the row again at its version.
   */
  async slice(table: SourceTable, report: PassReport, content: boolean, sliceRows: number): Promise<void> {
    try {
      await this.compareSlice(table, report, content, sliceRows);
    } catch (err) {
      // The source found it cannot hash this table as it said: it now says another, by which the slice starts again.
      if (!(err instanceof DigestHashChanged)) throw err;
      await this.compareSlice(table, report, content, sliceRows);
    }
  }

  private async compareSlice(
    table: SourceTable,
    report: PassReport,
    content: boolean,
    sliceRows: number,
  ): Promise<void> {
    const hash = this.source.digestHash(table, content);
    const localMax = await this.source.localMax(table);
    const slice = nextSlice(
      report.position,
      await this.source.versionAt(table, report.position, sliceRows),
      localMax,
      sliceRows,
    );
    const leaves: VersionRange[] = [];
    let level: VersionRange[] = [{ after: slice.after, upTo: slice.upTo }];
    // Local rows each range of the level is expected to hold (a part of its parent's), to size content jobs.
    let expected = [sliceRows];
    while (level.length > 0) {
      // Both sides at once: the remote jobs are enqueued first, then the local database computes (a SQLite source
      // does so without yielding) while the workers compute theirs.
      const remote =
        content && hash === 'md5'
          ? this.remoteContentDigests(table, level, expected)
          : (await this.enqueueDigests(table, level, hash, content)).digests;
      remote.catch(() => undefined); // awaited below; a failure meanwhile is not an unhandled rejection
      const local = content ? await this.source.contentDigests(table, level) : await this.source.digests(table, level);
      if (report.checked === 0) report.checked = local[0].count;
      const step = bisectStep(level, local, await remote, BISECT);
      leaves.push(...step.leaves);
      expected = step.next.map((r) => Math.ceil(local[level.findIndex((p) => r.upTo <= p.upTo)].count / BISECT.fanOut));
      level = step.next;
    }
    // Leaves come level by level; the API takes ranges in version order only.
    leaves.sort((a, b) => (a.after < b.after ? -1 : 1));
    for (let i = 0; i < leaves.length; i += MAX_CHECK_RANGES)
      await this.repair(table, leaves.slice(i, i + MAX_CHECK_RANGES), report, content);
    report.position = slice.nextPosition;
  }

  /**
   * Enqueues the digests' jobs (up to MAX_CHECK_RANGES ranges each), computed in SQL by the worker; `digests` waits
   * for their answers.
   */
  private async enqueueDigests(
    table: SourceTable,
    ranges: VersionRange[],
    hash: DigestHash,
    content: boolean,
  ): Promise<{ digests: Promise<RangeDigest[]> }> {
    const jobs: JobId<'range-hash'>[] = [];
    for (let i = 0; i < ranges.length; i += MAX_CHECK_RANGES)
      jobs.push(
        await this.api.rangeHash(table.name, {
          ranges: ranges.slice(i, i + MAX_CHECK_RANGES).map(toWireRange),
          hash,
          ...(content ? { columns: table.columns.map((c) => c.name) } : {}),
        }),
      );
    const digests = async () => {
      const out: RangeDigest[] = [];
      for (const id of jobs)
        out.push(...(await this.api.waitForJob(id)).digests.map((d) => ({ count: d.count, sum: BigInt(d.sum) })));
      return out;
    };
    return { digests: digests() };
  }

  /**
   * An md5 content check loads the remote rows into the workers: a range expected to hold more than CONTENT_JOB_ROWS
   * local rows is cut where the local rows reach that many, smaller ones share a job up to that many, and the jobs run
   * several in flight; the parts' digests add up to their range's.
   */
  private async remoteContentDigests(
    table: SourceTable,
    ranges: VersionRange[],
    expected: number[],
  ): Promise<RangeDigest[]> {
    const parts: { range: VersionRange; of: number; rows: number }[] = [];
    for (const [of, r] of ranges.entries()) {
      let after = r.after;
      while (expected[of] > CONTENT_JOB_ROWS) {
        const at = await this.source.versionAt(table, after, CONTENT_JOB_ROWS);
        if (at === undefined || at >= r.upTo) break;
        parts.push({ range: { after, upTo: at }, of, rows: CONTENT_JOB_ROWS });
        after = at;
      }
      parts.push({ range: { after, upTo: r.upTo }, of, rows: Math.min(expected[of], CONTENT_JOB_ROWS) });
    }
    const jobs: (typeof parts)[] = [];
    let rows = 0;
    for (const p of parts) {
      const last = jobs.at(-1);
      if (last && rows + p.rows <= CONTENT_JOB_ROWS && last.length < MAX_CHECK_RANGES) last.push(p);
      else {
        jobs.push([p]);
        rows = 0;
      }
      rows += p.rows;
    }
    const digests = await inParallel(jobs, this.settings.maxInFlight, (job) =>
      this.remoteContentDigestsOf(
        table,
        job.map((p) => p.range),
      ),
    );
    const out = ranges.map(() => ({ count: 0, sum: 0n }));
    jobs.forEach((job, j) =>
      job.forEach((p, k) => {
        out[p.of].count += digests[j][k].count;
        out[p.of].sum += digests[j][k].sum;
      }),
    );
    return out;
  }

  /** An md5 content check loads the remote rows: ranges holding more than one job may load are asked for in halves. */
  private async remoteContentDigestsOf(table: SourceTable, ranges: VersionRange[]): Promise<RangeDigest[]> {
    const result = await this.api.waitForJob(
      await this.api.rangeHash(table.name, {
        ranges: ranges.map(toWireRange),
        columns: table.columns.map((c) => c.name),
      }),
    );
    if (!result.overLimit) return result.digests.map((d) => ({ count: d.count, sum: BigInt(d.sum) }));
    const halves = halveRanges(ranges);
    if (!halves) throw new Error(tooManyRows(table, ranges, result.overLimit.maxRows));
    const [a, b] = [
      await this.remoteContentDigestsOf(table, halves[0]),
      await this.remoteContentDigestsOf(table, halves[1]),
    ];
    // One range split in two: its digest is the sum of its halves'.
    if (ranges.length === 1) return [{ count: a[0].count + b[0].count, sum: a[0].sum + b[0].sum }];
    return [...a, ...b];
  }

  /**
   * Key-level diff of small ranges, then uploads and version-guarded deletes for what differs. Ranges holding more
   * rows than one check may compare (on either side) are halved and diffed part by part.
   */
  private async repair(
    table: SourceTable,
    ranges: VersionRange[],
    report: PassReport,
    content: boolean,
  ): Promise<void> {
    const contents = content ? await this.source.contentManifest(table, ranges) : undefined;
    const local = contents
      ? new Map([...contents].map(([k, c]) => [k, c.version]))
      : await this.source.manifest(table, ranges);
    const diff =
      local.size <= MAX_MANIFEST_ROWS
        ? await this.api.waitForJob(
            await this.api.manifestCheck(table.name, {
              ranges: ranges.map(toWireRange),
              keys: [...local.keys()],
              versions: [...local.values()].map(String),
              ...(contents
                ? { columns: table.columns.map((c) => c.name), contents: [...contents.values()].map((c) => c.content) }
                : {}),
            }),
          )
        : undefined;
    if (!diff || diff.overLimit) {
      const halves = halveRanges(ranges);
      if (!halves) throw new Error(tooManyRows(table, ranges, diff?.overLimit?.maxRows ?? MAX_MANIFEST_ROWS));
      for (const part of halves) await this.repair(table, part, report, content);
      return;
    }

    // A row whose content differs under the same version is sent again at that version, which replaces it.
    const repairVersions = [...diff.missingOrOlder, ...(diff.contentDiffers ?? [])].map((k) => local.get(k)!);
    // Rows newer remotely than locally come from a lost timeline: local version → the remote version it replaces.
    const replace = new Map(diff.newerRemotely.map((r) => [local.get(r.key)!, r.version]));
    const gone: { key: string; version: string }[] = [];
    for (const r of diff.remoteOnly) {
      // A key outside these ranges locally was changed, not deleted: upload it rather than delete it first, unless
      // the remote already has that version (a quarantined one, reported at its version).
      const localVersion = await this.source.versionOfKey(table, r.key);
      if (localVersion === undefined) gone.push(r);
      else if (localVersion > BigInt(r.version)) repairVersions.push(localVersion);
      else if (localVersion < BigInt(r.version)) replace.set(localVersion, r.version);
    }
    const jobs = new InFlight();
    const send = async (versions: bigint[], replacing?: Map<bigint, string>) => {
      for (let i = 0; i < versions.length; i += this.settings.batchRows) {
        const rows = await this.source.rowsWithVersions(table, versions.slice(i, i + this.settings.batchRows));
        if (rows.versions.length === 0) continue;
        const request = {
          rows,
          timeline: report.timeline,
          ...(replacing ? { replace: rows.versions.map((v) => replacing.get(BigInt(v))!) } : {}),
        };
        jobs.add(this.api.upload(table.name, request).then((id) => this.api.waitForJob(id)));
        report.repaired += rows.versions.length;
        report.found += rows.versions.length;
      }
    };
    try {
      await send(repairVersions);
      await send([...replace.keys()], replace);
      if (gone.length) {
        const types = keyTypes(table);
        const keys: WireValue[][] = table.key.map(() => []);
        for (const g of gone) decodeKey(types, g.key).forEach((v, i) => keys[i].push(v));
        jobs.add(
          this.api
            .delete(table.name, { mode: 'keys', keys, versions: gone.map((g) => g.version), timeline: report.timeline })
            .then((id) => this.api.waitForJob(id)),
        );
        report.deleted += gone.length;
        report.found += gone.length;
      }
    } finally {
      await jobs.settle();
    }
  }
}

function tooManyRows(table: SourceTable, ranges: VersionRange[], maxRows: number): string {
  return `table "${table.name}": version ${ranges[0].upTo} alone holds more than ${maxRows} rows; it cannot be checked`;
}

/** Rows a content job loads in the worker (well below MAX_CONTENT_ROWS, so a few extra remote rows still fit). */
const CONTENT_JOB_ROWS = MAX_CONTENT_ROWS / 2;

/** Runs `fn` over the items, at most `limit` at a time; results in the items' order. */
async function inParallel<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

/** Key lists below 256 rows a range; 16 parts a split: few round trips, small key lists. */
const BISECT = { leafRows: 256, fanOut: 16 };
