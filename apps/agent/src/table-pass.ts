import type { VersionInfo } from '#contracts';
import { aheadBatch, decidePass, type AheadBatch, type PassDecision } from '#sync';
import type { ApiClient } from './api-client.js';
import type { PassCheck } from './check-plan.js';
import { DifferenceCheck } from './difference-check.js';
import { InFlight } from './in-flight.js';
import type { UploadProgress } from './progress.js';
import type { Source, SourceTable } from './sources/source.js';

export interface PassSettings {
  /** Upper bound on rows per upload; the API's tuning chooses the size below it. */
  batchRows: number;
  maxInFlight: number;
  sliceRows: number;
}

export interface PassReport {
  table: string;
  steps: PassDecision['kind'][];
  uploaded: number;
  deleted: number;
  checked: number;
  repaired: number;
  /** Rows written where no trigger fired, given a version at the start of the pass (they travel in it). */
  stamped: number;
  /** What the pass did to the local tracking, in words (tracking installed on a new inheritance child). */
  notes: string[];
  /** Where the difference check will continue; 0 means the last pass finished a round. `checked`: rows verified. */
  position: bigint;
  /** The pass checked a slice of the difference check. */
  sliced: boolean;
  /** Rows the difference check found different, and repaired (sent again or deleted). */
  found: number;
  /** The table's timeline at the end of the pass (VersionInfo.timeline), which its jobs were made for. */
  timeline: string;
}

/** A table's report before its pass has done anything: no step, nothing counted. */
export function passReport(
  table: string,
  timeline: string,
  position: bigint,
  steps: PassReport['steps'] = [],
): PassReport {
  const counted = { uploaded: 0, deleted: 0, checked: 0, repaired: 0, stamped: 0, found: 0 };
  return { table, steps, ...counted, notes: [], position, sliced: false, timeline };
}

/**
 * One pass of the sync algorithm for one table (docs/sync-model.md, One pass): decide, act, and when the action changed
 * the remote, decide again, so that a behind or restored table gets its deletes and then its uploads in the same pass.
 */
export class TablePass {
  private readonly check: DifferenceCheck;
  /** The smallest batch the API's tuning advises (its settings' minRows), once it has answered. */
  private smallestBatch: number | undefined;
  /** Per table, the timeline and applied-through its delete log was last pruned to (a restore starts another). */
  private readonly prunedThrough = new Map<string, string>();

  constructor(
    private readonly source: Source,
    private readonly api: ApiClient,
    private readonly settings: PassSettings,
    private readonly onProgress: (p: UploadProgress) => void = () => undefined,
  ) {
    this.check = new DifferenceCheck(source, api, settings);
  }

  async run(
    table: SourceTable,
    info: VersionInfo,
    check: PassCheck,
    restoredTo: bigint | undefined,
  ): Promise<PassReport> {
    const position = check.position;
    const report = passReport(table.name, info.timeline, position);
    // Before any version is read: a row no trigger saw is invisible to every step below until it has one.
    // A side table's unversioned rows are looked for where a round of the check starts, not on every idle pass.
    const stamp = await this.source.stampUnversioned(table, check.sliceRows !== undefined && position === 0n);
    report.stamped = stamp.stamped;
    report.notes = stamp.notes;
    let remote = info;
    let restore = restoredTo;
    for (let step = 0; step < 4; step++) {
      const d = decidePass({
        localMax: await this.source.localMax(table),
        remote: {
          maxVersion: BigInt(remote.maxVersion),
          appliedThrough: BigInt(remote.appliedThrough),
          pendingJobs: remote.pendingJobs,
        },
        restoredTo: restore,
      });
      report.steps.push(d.kind);
      report.timeline = remote.timeline;
      switch (d.kind) {
        case 'wait':
          return report;
        case 'restore':
        case 'behind':
          // Order-sensitive: nothing more is sent for this table until the range delete is applied.
          await this.api.waitForJob(
            await this.api.delete(table.name, {
              mode: 'above',
              version: d.deleteAbove.toString(),
              timeline: remote.timeline,
            }),
          );
          restore = undefined;
          break;
        case 'ahead': {
          const sent = await this.uploadAhead(table, d.uploadAfter, await this.source.safeWatermark(), remote.timeline);
          report.uploaded += sent.uploaded;
          report.deleted += sent.deleted;
          break;
        }
        case 'equal':
          // Every change up to applied-through is applied remotely: its logged deletes are no longer needed.
          await this.pruneDeletes(table, remote);
          if (check.sliceRows === undefined) return report;
          await this.check.slice(table, report, check.content, check.sliceRows);
          report.sliced = true;
          return report;
      }
      remote = await this.api.versionInfo(table.name);
    }
    return report;
  }

  /** Prunes the delete log up to applied-through, once for each value it takes: an idle pass writes nothing. */
  private async pruneDeletes(table: SourceTable, remote: VersionInfo): Promise<void> {
    const through = `${remote.timeline}:${remote.appliedThrough}`;
    if (this.prunedThrough.get(table.name) === through) return;
    await this.source.pruneDeletes(table, BigInt(remote.appliedThrough));
    this.prunedThrough.set(table.name, through);
  }

  /**
   * Sends the next rows of a table again, after columns were added to it, so existing rows get their values too
   * (an equal version replaces the remote row). Returns where to continue, or undefined when the table is done.
   */
  async resend(table: SourceTable, from: bigint, timeline: string): Promise<bigint | undefined> {
    const rows = await this.source.rowsAfter(table, from, INT64_MAX, this.settings.batchRows);
    if (rows.versions.length === 0) return undefined;
    await this.api.waitForJob(await this.api.upload(table.name, { rows, timeline }));
    return BigInt(rows.versions[rows.versions.length - 1]);
  }

  /**
   * The next batch of changes after `after`, and whether it holds all of them up to the watermark. Its size comes from
   * the table's batch history (docs/tuning.md), never above the agent's own limit; but a change no larger than the
   * smallest batch the tuning ever advises (learned from its last answer) goes without asking it, since any size it
   * could give holds the change: a small change reaches the cloud one request sooner.
   */
  private async nextBatch(
    table: SourceTable,
    after: bigint,
    watermark: bigint,
    first: boolean,
  ): Promise<{ batch: AheadBatch | undefined; last: boolean }> {
    const small = this.smallestBatch && Math.min(this.settings.batchRows, this.smallestBatch);
    if (first && small) {
      const rows = await this.source.rowsAfter(table, after, watermark, small + 1);
      const deletes = await this.source.deletesAfter(table, after, watermark, small + 1);
      if (rows.versions.length + deletes.versions.length <= small)
        return { batch: aheadBatch(rows, deletes, small), last: true };
    }
    const advice = await this.api.tuning(table.name);
    this.smallestBatch = advice.settings.minRows;
    const size = Math.min(this.settings.batchRows, advice.rows);
    const batch = aheadBatch(
      await this.source.rowsAfter(table, after, watermark, size),
      await this.source.deletesAfter(table, after, watermark, size),
      size,
    );
    return { batch, last: false };
  }

  /**
   * Uploads the changes in (after, watermark] in version order, rows and deleted keys together, several batches in
   * flight, each with the range it covers. Returns the rows and deletes sent.
   */
  private async uploadAhead(
    table: SourceTable,
    start: bigint,
    watermark: bigint,
    timeline: string,
  ): Promise<{ uploaded: number; deleted: number }> {
    const inFlight = new InFlight();
    let rowsInFlight = false;
    let after = start;
    const sent = { uploaded: 0, deleted: 0 };
    try {
      for (let first = true; ; first = false) {
        const { batch, last } = await this.nextBatch(table, after, watermark, first);
        if (!batch) break;
        const deletes = batch.deletes.versions.length;
        // A delete applied before an earlier batch's upload of the same key would let that upload bring the row
        // back: deletes wait until the rows sent before them are applied (deletes and later uploads commute).
        if (deletes && rowsInFlight) {
          await inFlight.settle();
          rowsInFlight = false;
        }
        const jobId = await this.api.upload(table.name, {
          rows: batch.rows,
          ...(deletes ? { deletes: batch.deletes } : {}),
          range: { after: after.toString(), upTo: batch.upTo.toString() },
          timeline,
        });
        inFlight.add(this.api.waitForJob(jobId));
        rowsInFlight ||= batch.rows.versions.length > 0;
        sent.uploaded += batch.rows.versions.length;
        sent.deleted += deletes;
        after = batch.upTo;
        const rows = sent.uploaded + sent.deleted;
        this.onProgress({ table: table.name, from: start, at: after, to: watermark, rows, done: false });
        if (last) break;
        await inFlight.below(this.settings.maxInFlight);
      }
    } finally {
      await inFlight.settle();
      const rows = sent.uploaded + sent.deleted;
      this.onProgress({ table: table.name, from: start, at: after, to: watermark, rows, done: true });
    }
    return sent;
  }
}

const INT64_MAX = 2n ** 63n - 1n;
