import { decodeKey, type VersionInfo, type WireValue } from '#contracts';
import { decidePass, nextSlice, type PassDecision } from '#sync';
import type { ApiClient } from './api-client.js';
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
  /** Where the difference check will continue; 0 means the last pass finished a round. */
  position: bigint;
}

/**
 * One pass of the sync algorithm for one table (design §3): decide, act, and when the action changed the remote,
 * decide again, so that a behind or restored table gets its deletes and then its uploads in the same pass.
 */
export class TablePass {
  constructor(
    private readonly source: Source,
    private readonly api: ApiClient,
    private readonly settings: PassSettings,
  ) {}

  async run(table: SourceTable, info: VersionInfo, position: bigint, restoredTo: bigint | undefined): Promise<PassReport> {
    const report: PassReport = { table: table.name, steps: [], uploaded: 0, deleted: 0, checked: 0, repaired: 0, position };
    let remote = info;
    let restore = restoredTo;
    for (let step = 0; step < 4; step++) {
      const d = decidePass({
        localMax: this.source.localMax(table),
        remote: { maxVersion: BigInt(remote.maxVersion), appliedThrough: BigInt(remote.appliedThrough), pendingJobs: remote.pendingJobs },
        restoredTo: restore,
      });
      report.steps.push(d.kind);
      switch (d.kind) {
        case 'wait':
          return report;
        case 'restore':
        case 'behind':
          // Order-sensitive: nothing more is sent for this table until the range delete is applied.
          await this.api.waitForJob(await this.api.delete(table.name, { mode: 'above', version: d.deleteAbove.toString() }));
          restore = undefined;
          break;
        case 'ahead':
          report.uploaded += await this.uploadAhead(table, d.uploadAfter, this.source.safeWatermark());
          break;
        case 'equal':
          await this.checkSlice(table, report);
          return report;
      }
      remote = await this.api.versionInfo(table.name);
    }
    return report;
  }

  /** Uploads (after, watermark] in version order, several batches in flight, each with the range it covers. */
  private async uploadAhead(table: SourceTable, start: bigint, watermark: bigint): Promise<number> {
    const inFlight: Promise<unknown>[] = [];
    let after = start;
    let sent = 0;
    for (;;) {
      // The size comes from the table's batch history (design §5), never above the agent's own limit.
      const size = Math.min(this.settings.batchRows, (await this.api.tuning(table.name)).rows);
      const rows = this.source.rowsAfter(table, after, watermark, size);
      if (rows.versions.length === 0) break;
      const upTo = BigInt(rows.versions[rows.versions.length - 1]);
      const jobId = await this.api.upload(table.name, { rows, range: { after: after.toString(), upTo: upTo.toString() } });
      inFlight.push(this.api.waitForJob(jobId));
      sent += rows.versions.length;
      after = upTo;
      if (inFlight.length >= this.settings.maxInFlight) await inFlight.shift();
    }
    await Promise.all(inFlight);
    return sent;
  }

  /** The next contiguous version slice of the difference check; repairs what differs. */
  private async checkSlice(table: SourceTable, report: PassReport): Promise<void> {
    const localMax = this.source.localMax(table);
    const slice = nextSlice(report.position, this.source.versionsAfter(table, report.position, this.settings.sliceRows), localMax, this.settings.sliceRows);
    const local = this.source.manifest(table, slice.after, slice.upTo);
    const jobId = await this.api.manifestCheck(table.name, {
      after: slice.after.toString(),
      upTo: slice.upTo.toString(),
      keys: [...local.keys()],
      versions: [...local.values()].map(String),
    });
    const diff = (await this.api.waitForJob(jobId)) as { remoteOnly: { key: string; version: string }[]; missingOrOlder: string[] };
    report.checked += local.size;

    const repairVersions = diff.missingOrOlder.map((k) => local.get(k)!);
    const gone: { key: string; version: string }[] = [];
    for (const r of diff.remoteOnly) {
      // A key outside this slice locally was changed, not deleted: upload it rather than delete it first.
      const localVersion = this.source.versionOfKey(table, r.key);
      if (localVersion === undefined) gone.push(r);
      else repairVersions.push(localVersion);
    }
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < repairVersions.length; i += this.settings.batchRows) {
      const rows = this.source.rowsWithVersions(table, repairVersions.slice(i, i + this.settings.batchRows));
      if (rows.versions.length) jobs.push(this.api.upload(table.name, { rows }).then((id) => this.api.waitForJob(id)));
      report.repaired += rows.versions.length;
    }
    if (gone.length) {
      const types = table.key.map((k) => table.columns.find((c) => c.name === k)!.type);
      const keys: WireValue[][] = table.key.map(() => []);
      for (const g of gone) decodeKey(types, g.key).forEach((v, i) => keys[i].push(v));
      jobs.push(this.api.delete(table.name, { mode: 'keys', keys, versions: gone.map((g) => g.version) }).then((id) => this.api.waitForJob(id)));
      report.deleted += gone.length;
    }
    await Promise.all(jobs);
    report.position = slice.nextPosition;
  }
}
