import { randomUUID } from 'node:crypto';
import { judgeRestore, needsNewMarker, type Marker, type RestoreFinding } from '#sync';
import { ApiClient, ApiRefusedError } from './api-client.js';
import { loadCredentials, remoteNames, type AgentConfig } from './config.js';
import { openSource } from './sources/open-source.js';
import type { Source, SourceTable } from './sources/source.js';
import { loadState, saveState, type AgentState } from './state.js';
import { CheckPlan } from './check-plan.js';
import { verifyVerdict, type Verdict } from './status.js';
import { passReport, TablePass, type PassReport } from './table-pass.js';
import { IdleWatch, idleReport } from './idle-watch.js';
import type { UploadProgress } from './progress.js';

export interface CycleReport {
  tables: (PassReport | { table: string; error: string })[];
  /** What the markers said about a restore at the start of the cycle. */
  restore: RestoreFinding['kind'];
  /** With a restore to a known marker: the watermark above which the remote rows were deleted. */
  restoredTo?: bigint;
  /** The database changed between judging the markers and writing one (a restore): the next cycle will judge it. */
  changedUnderPass?: boolean;
}

/** What `verify` found of a table: passes taken, rows repaired, and whether the copy is proven equal, in words. */
export type VerifyResult = { passes: number; found: number } & Verdict;

/** A verification round that takes more passes than this is not converging: it stops with an error. */
const VERIFY_MAX_PASSES = 100_000;

/** Backfill batches sent in one pass: a large backfill must not hold up the other tables' passes for long. */
const BACKFILL_BATCHES_A_PASS = 10;

/** The agent: one cycle = one pass per table, framed by the restore markers (docs/sync-model.md, Restores). */
export class SyncAgent {
  readonly source: Source;
  readonly api: ApiClient;
  private readonly state: AgentState;
  private readonly pass: TablePass;
  private readonly checks: CheckPlan;
  private readonly tables = new Map<string, SourceTable>();
  /** The definition last registered per table, to register again only when it changes. */
  private readonly registered = new Map<string, string>();
  /**
   * The marker this process last saw confirmed as the server's newest. Only this agent writes markers, so while the
   * database still carries it nothing was restored and the server need not be asked: an unchanged database costs
   * one request a pass (docs/sync-model.md, One pass). A restore brings back another marker, and a new process knows
   * none.
   */
  private confirmedMarker: string | undefined;
  private readonly idle: IdleWatch;

  constructor(
    private readonly config: AgentConfig,
    private readonly log: (line: string) => void = (l) => console.log(`${new Date().toISOString()} ${l}`),
    onProgress?: (p: UploadProgress) => void,
  ) {
    this.source = openSource(config.source);
    this.api = new ApiClient(config.api.url, loadCredentials(config), undefined, remoteNames(config));
    this.state = loadState(config.stateFile);
    this.pass = new TablePass(this.source, this.api, config, onProgress);
    this.checks = new CheckPlan(this.state, config);
    this.idle = new IdleWatch(this.source);
  }

  /**
   * Describes every configured table and registers it with the API when its definition changed (new columns are
   * added remotely and their values for existing rows sent again). A refused definition (key or type change) stops
   * that table only, with the reason kept for `status`; the other tables go on.
   */
  async registerTables(): Promise<Map<string, string>> {
    const refused = new Map<string, string>();
    for (const t of this.config.tables) {
      try {
        const table = await this.source.describe(t);
        const definition = JSON.stringify(table);
        if (this.registered.get(t.name) !== definition) {
          const info = await this.api.registerTable(t.name, { columns: table.columns, key: table.key });
          this.registered.set(t.name, definition);
          if (info.added.length)
            this.log(`${t.name}: new column(s) ${info.added.join(', ')}: existing rows will be sent again`);
        }
        this.tables.set(t.name, table);
        delete this.state.refusals[t.name];
      } catch (err) {
        if (!(err instanceof ApiRefusedError)) throw err;
        this.tables.delete(t.name);
        this.state.refusals[t.name] = err.message;
        refused.set(t.name, err.message);
      }
    }
    return refused;
  }

  async cycle(): Promise<CycleReport> {
    if (await this.source.reopenIfReplaced()) {
      this.idle.forget();
      this.log('the database file was replaced: reopened it');
    }
    const quiet = await this.idleCycle();
    if (quiet) return quiet;
    // Read before the tables are described: a schema change landing while they are moves it, so this pass cannot
    // leave a watch on a schema it did not register (the first pass, which knows no tables yet, leaves none).
    const start = await this.idle.start([...this.tables.values()]);
    const refused = await this.registerTables();
    const local = await this.source.newestMarker();
    // The version info does not depend on the restore check or the marker: asked beside them, so that the pass's
    // first upload waits for one round trip fewer. (Caught here so that it is not unhandled while they run.)
    const versionInfo = this.api.allVersionInfo();
    versionInfo.catch(() => undefined);
    const restore = await this.judgeRestore(local);
    // The marker comes first: a backup taken from now on holds it, so a restore of a backup taken before this pass,
    // even one that lands while the pass runs, brings back an older marker than the server's newest. (After a
    // restore to a marker, it comes last instead: only once every table has been handled.)
    const marker = restore.kind === 'to-marker' ? undefined : await this.writeMarker(local, restore);
    const marked = marker === undefined || marker.written;
    const allInfo = await versionInfo;
    const infos = new Map(allInfo.map((i) => [i.table, i]));
    const restoredTo = restore.kind === 'to-marker' ? restore.marker.watermark : undefined;
    const report: CycleReport = {
      tables: [...refused].map(([table, error]) => ({ table, error: `definition refused: ${error}` })),
      restore: restore.kind,
      restoredTo,
    };
    if (!marked) {
      report.changedUnderPass = true;
      return report;
    }
    let allHandled = refused.size === 0;
    for (const table of this.tables.values()) {
      try {
        const info = infos.get(table.name) ?? (await this.api.versionInfo(table.name));
        // After any restore a new round of the difference check starts at once: rows below the watermark may differ.
        const check = this.checks.plan(
          table.name,
          Number(info.rowCount),
          restore.kind !== 'none',
          this.source.capturesDeletes(table),
        );
        const r = await this.pass.run(table, info, check, restoredTo);
        this.checks.passed(table.name, r);
        // The server remembers a pending backfill of added columns: a few batches of it per pass, once the table is
        // equal.
        let from = r.steps.at(-1) === 'equal' ? info.backfillFrom : null;
        for (let batch = 0; from !== null && batch < BACKFILL_BATCHES_A_PASS; batch++) {
          const next = await this.pass.resend(table, BigInt(from), r.timeline);
          const progress = { from, next: next === undefined ? null : next.toString() };
          await this.api.backfillProgress(table.name, progress);
          from = progress.next;
        }
        if (restoredTo !== undefined && !r.steps.includes('restore')) allHandled = false;
        report.tables.push(r);
        this.passEnded(table.name, r.steps.at(-1) === 'equal');
        for (const note of r.notes) this.log(`${table.name}: ${note}`);
        this.log(
          `${table.name}: ${r.steps.join(' → ')}; uploaded ${r.uploaded}, deleted ${r.deleted}, checked ${r.checked}, repaired ${r.repaired}`,
        );
      } catch (err) {
        allHandled = false;
        this.checks.suspect(table.name);
        const error = err instanceof Error ? err.message : String(err);
        report.tables.push({ table: table.name, error });
        this.passEnded(table.name, false, error);
        this.log(`${table.name}: pass failed: ${error}`);
      }
    }
    // A restore counts as handled once every table has deleted above the watermark; until then it is found again.
    if (restore.kind === 'to-marker' && allHandled) {
      await this.api.markerRestored(restore.marker.id);
      report.changedUnderPass = !(await this.writeMarker(local, restore)).written;
    }
    const idle =
      restore.kind === 'none' &&
      refused.size === 0 &&
      report.tables.every(idleReport) &&
      [...this.tables.keys()].every((t) => infos.get(t)?.backfillFrom === null);
    await this.idle.ended([...this.tables.values()], start, marker?.watermark, allInfo, idle);
    saveState(this.config.stateFile, this.state);
    return report;
  }

  /**
   * A pass that ends at once, when neither side changed since the last idle pass and no check is due
   * (docs/sync-model.md, Idle passes): every table is as equal as then.
   */
  private async idleCycle(): Promise<CycleReport | undefined> {
    const tables = [...this.tables.values()];
    const expected = this.idle.expected();
    if (!expected) return undefined;
    // Planned first, on the info the watch holds: a check due needs the full pass, and nothing is read for it.
    const byName = new Map(expected.map((i) => [i.table, i]));
    const report: CycleReport & { tables: PassReport[] } = { tables: [], restore: 'none' };
    for (const table of tables) {
      const info = byName.get(table.name)!; // every table had its info when the watch was set
      const check = this.checks.plan(table.name, Number(info.rowCount), false, this.source.capturesDeletes(table));
      if (check.sliceRows !== undefined) return this.idle.forget();
      report.tables.push(passReport(table.name, info.timeline, check.position, ['equal']));
    }
    if (!(await this.idle.unchanged(tables, () => this.api.allVersionInfo()))) return undefined;
    for (const r of report.tables) {
      this.passEnded(r.table, true);
      this.log(`${r.table}: equal, nothing changed on either side`);
    }
    saveState(this.config.stateFile, this.state);
    return report;
  }

  /** Remembers how a table's pass ended, for `status`: when, whether it failed, and when it was last equal. */
  private passEnded(table: string, equal: boolean, error?: string): void {
    const at = new Date().toISOString();
    const lastEqualAt = equal ? at : this.state.passes[table]?.lastEqualAt;
    this.state.passes[table] = { at, ...(error ? { error } : {}), ...(lastEqualAt ? { lastEqualAt } : {}) };
  }

  /**
   * `rowferry-agent verify`: a whole round of the difference check now, from the start of each table (all, or those
   * named), by content or by keys and versions; what it found is repaired as it goes. Returns per table the passes
   * taken and the rows repaired or deleted.
   */
  async verify(opts: { content: boolean; tables?: string[] }): Promise<Map<string, VerifyResult>> {
    await this.registerTables();
    const names = opts.tables ?? [...this.tables.keys()];
    for (const name of names) {
      if (!this.tables.has(name))
        throw new Error(`table "${name}" is not in the config (or its definition was refused)`);
      this.checks.verifyNow(name, opts.content);
    }
    const results = new Map(names.map((n) => [n, { passes: 0, found: 0 }]));
    const pending = new Set(names);
    for (let cycle = 0; pending.size > 0 && cycle < VERIFY_MAX_PASSES; cycle++)
      for (const r of (await this.cycle()).tables) {
        if (!pending.has(r.table)) continue;
        if ('error' in r) throw new Error(`${r.table}: ${r.error}`);
        const result = results.get(r.table)!;
        result.passes++;
        result.found += r.found;
        if (r.sliced && r.position === 0n && r.steps.at(-1) === 'equal') pending.delete(r.table);
      }
    if (pending.size > 0)
      throw new Error(`verification did not finish in ${VERIFY_MAX_PASSES} passes: ${[...pending]}`);
    // Digests compare versioned rows only: the counts, taken once the round's repairs are applied, are the rest of
    // the proof.
    const verified = new Map<string, VerifyResult>();
    for (const [name, r] of results) {
      const table = this.tables.get(name)!;
      const info = await this.api.versionInfo(name);
      const counts = { rows: await this.source.count(table), unversioned: await this.source.unversioned(table) };
      verified.set(name, { ...r, ...verifyVerdict({ found: r.found, counts, remote: info }) });
    }
    return verified;
  }

  /** Compares the newest local marker with the server's history; after a restore, forgets the old timeline's proofs. */
  private async judgeRestore(local: Marker | undefined): Promise<RestoreFinding> {
    if (local !== undefined && local.id === this.confirmedMarker) return { kind: 'none' };
    const facts = await this.api.markerFacts(local?.id);
    const recorded = facts.recorded
      ? { id: facts.recorded.id, watermark: BigInt(facts.recorded.watermark), newest: facts.recorded.newest }
      : undefined;
    const restore = judgeRestore(local, recorded, facts.serverHasMarkers);
    if (restore.kind === 'to-marker')
      this.log(
        `restore detected (marker ${restore.marker.id}): versions above ${restore.marker.watermark} are synced again`,
      );
    if (restore.kind === 'no-usable-marker')
      this.log('restore detected with no marker the server knows: verifying every table from the start');
    if (restore.kind !== 'none') await this.source.resetAfterRestore();
    this.confirmedMarker = restore.kind === 'none' ? local?.id : undefined;
    return restore;
  }

  /**
   * A new marker at the safe watermark: recorded by the server first (it is the memory), then written locally only
   * if the newest local marker is still the one judged. Returns false when it was not.
   */
  private async writeMarker(
    local: Marker | undefined,
    restore: RestoreFinding,
  ): Promise<{ written: boolean; watermark: bigint }> {
    const watermark = await this.source.safeWatermark();
    if (!needsNewMarker(local, restore, watermark)) return { written: true, watermark };
    const marker = { id: randomUUID(), watermark };
    await this.api.recordMarker({ id: marker.id, watermark: watermark.toString() });
    this.confirmedMarker = undefined; // the server's newest now, but the database may not take it
    if (await this.source.writeMarker(marker, local?.id)) {
      this.confirmedMarker = marker.id;
      return { written: true, watermark };
    }
    this.log('the database changed under the agent (restored?): the next pass will judge it');
    return { written: false, watermark };
  }

  async close(): Promise<void> {
    await this.source.close();
  }
}
