import type { VersionInfo } from '#contracts';
import type { Pulse, Source, SourceTable } from './sources/source.js';
import type { PassReport } from './table-pass.js';

/** The server's version info of every table as one string: a job applied, a row quarantined, a remote restore show. */
export function remoteDigest(infos: readonly VersionInfo[]): string {
  return JSON.stringify([...infos].sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0)));
}

/** A table's pass that found it equal and changed nothing, locally or remotely. */
export function idleReport(r: PassReport | { table: string; error: string }): boolean {
  return (
    !('error' in r) &&
    r.steps.length === 1 &&
    r.steps[0] === 'equal' &&
    r.uploaded + r.deleted + r.repaired + r.stamped + r.found === 0 &&
    r.notes.length === 0
  );
}

/**
 * Whether a pass may end at once (docs/sync-model.md, Idle passes). A full pass that found every table equal and did
 * nothing leaves the database's pulse and the server's version info; while neither changes and no check is due, the
 * next pass would find the same, so it reads one statement and makes one request instead of describing and reading
 * every table.
 */
export class IdleWatch {
  private quiet: { digest: string; remote: string; infos: readonly VersionInfo[] } | undefined;

  constructor(private readonly source: Source) {}

  /** The pulse at a full pass's start, before any row is read. */
  start(tables: readonly SourceTable[]): Promise<Pulse | undefined> {
    return this.source.pulse(tables);
  }

  /**
   * After a full pass: remembers the pulse and the version info read at its start when the pass was idle, nothing
   * moved while it ran (the pulse is the same now), and every version up to the counter was final when it started (the
   * safe watermark had reached it; a transaction still holding a lower version would commit without moving it).
   */
  async ended(
    tables: readonly SourceTable[],
    start: Pulse | undefined,
    safeWatermark: bigint | undefined,
    infos: readonly VersionInfo[],
    idle: boolean,
  ): Promise<void> {
    this.quiet = undefined;
    if (!idle || !start || safeWatermark === undefined || safeWatermark < start.counter) return;
    const end = await this.source.pulse(tables);
    if (end?.digest === start.digest) this.quiet = { digest: end.digest, remote: remoteDigest(infos), infos };
  }

  /** The version info the watch holds, which the server answers while nothing changes; undefined when none is held. */
  expected(): readonly VersionInfo[] | undefined {
    return this.quiet?.infos;
  }

  /** The version info, when nothing changed on either side since the last idle pass; else undefined. */
  async unchanged(
    tables: readonly SourceTable[],
    versionInfo: () => Promise<VersionInfo[]>,
  ): Promise<VersionInfo[] | undefined> {
    const quiet = this.quiet;
    if (!quiet) return undefined;
    if ((await this.source.pulse(tables))?.digest !== quiet.digest) return this.forget();
    const infos = await versionInfo();
    return remoteDigest(infos) === quiet.remote ? infos : this.forget();
  }

  forget(): undefined {
    this.quiet = undefined;
    return undefined;
  }
}
