import { afterSlice, checkDue, newRound, sliceRowsFor, type ScheduleSettings } from '#sync';
import type { AgentConfig } from './config.js';
import type { AgentState } from './state.js';
import type { CheckRounds } from './status.js';
import type { PassReport } from './table-pass.js';

/** What a table's pass is to check, if its difference check is due. */
export interface PassCheck {
  /** Where the check continues. */
  position: bigint;
  /** The rows of the slice to check when the table is equal; undefined when no check is due. */
  sliceRows: number | undefined;
  /** The slice is checked by content. */
  content: boolean;
}

/**
 * Each table's difference check over time, kept in the agent's state (docs/difference-check.md, Schedule): a round by
 * key and version every `verifyEvery`, in slices the time passed has earned, and a round by content every
 * `verifyContentEvery`. A table the state does not know (a lost state, a new table), a restore, a failed pass or a
 * remote ahead of the local database makes the copy suspect: its round starts again and runs at once.
 */
export class CheckPlan {
  private readonly settings: ScheduleSettings;

  constructor(
    private readonly state: AgentState,
    private readonly config: Pick<AgentConfig, 'verifyEvery' | 'verifyContentEvery' | 'sliceRows' | 'intervalSeconds'>,
  ) {
    this.settings = {
      everyMs: config.verifyEvery * 1000,
      sliceRows: config.sliceRows,
      passMs: config.intervalSeconds * 1000,
    };
  }

  /**
   * The check of a table's pass now; `tableRows` as last counted, `restored` after any restore. A table whose deletes
   * are not logged (`capturesDeletes` false) is checked every pass, a whole slice: only the check finds its deletes.
   */
  plan(table: string, tableRows: number, restored: boolean, capturesDeletes = true, now = Date.now()): PassCheck {
    if (restored || !this.state.checks[table]) this.suspect(table, now);
    const content = this.contentRound(table, now);
    const schedule = this.state.checks[table];
    const due = !capturesDeletes || checkDue(schedule, tableRows, this.settings, now, content);
    const whole = content || !capturesDeletes;
    const sliceRows = whole ? this.settings.sliceRows : sliceRowsFor(schedule, tableRows, this.settings, now);
    return { position: this.state.positions[table] ?? 0n, sliceRows: due ? sliceRows : undefined, content };
  }

  /** What a pass did: where the check continues, what its round found, the round's progress. */
  passed(table: string, r: PassReport, now = Date.now()): void {
    this.state.positions[table] = r.position;
    if (r.steps.includes('behind') || r.steps.includes('restore')) return this.suspect(table, now);
    if (!r.sliced) return;
    const roundDone = r.position === 0n && r.steps.at(-1) === 'equal';
    const rounds = countRound(this.state.rounds[table], r);
    this.state.rounds[table] = rounds;
    // A slice that found differences makes the rest of its round urgent: where one row differed, others may.
    if (r.found > 0) this.state.checks[table] = { ...this.state.checks[table], urgent: true };
    const content = this.state.content[table];
    if (content?.running && roundDone)
      this.state.content[table] = { lastDone: new Date(now).toISOString(), running: false };
    this.state.checks[table] = afterSlice(this.state.checks[table], r.checked, roundDone, rounds.lastRound ?? 0, now);
  }

  /** The copy is suspect: a new round, from the table's start, at once. */
  suspect(table: string, now = Date.now()): void {
    this.state.positions[table] = 0n;
    // What an earlier round proved no longer holds: `status` says checking until this round ends.
    this.state.rounds[table] = { found: 0, lastRound: null };
    this.state.checks[table] = newRound(now, true, this.state.checks[table]?.lastRoundAt);
  }

  /** `verify`: a whole round now, by content or by keys and versions. */
  verifyNow(table: string, content: boolean, now = Date.now()): void {
    this.suspect(table, now);
    const lastDone = this.state.content[table]?.lastDone ?? new Date(now).toISOString();
    this.state.content[table] = { lastDone, running: content };
  }

  /**
   * Whether this pass checks the table by content (docs/difference-check.md, Content): a content round starts from the
   * table's beginning once `verifyContentEvery` has passed since the last one (a table first seen counts from then),
   * and goes on until it has gone round.
   */
  private contentRound(table: string, now: number): boolean {
    const rounds = (this.state.content[table] ??= { lastDone: new Date(now).toISOString(), running: false });
    const every = this.config.verifyContentEvery;
    if (!rounds.running && every > 0 && now - Date.parse(rounds.lastDone) >= every * 1000) {
      rounds.running = true;
      this.state.positions[table] = 0n;
      this.state.checks[table] = newRound(now, false, this.state.checks[table]?.lastRoundAt);
    }
    return rounds.running;
  }
}

/**
 * What the difference check repaired, per round, for `status`: a round that repaired nothing proves the table equal.
 */
function countRound(rounds: CheckRounds | undefined, r: PassReport): CheckRounds {
  const found = (rounds?.found ?? 0) + r.found;
  const roundDone = r.steps.at(-1) === 'equal' && r.position === 0n;
  return roundDone ? { found: 0, lastRound: found } : { found, lastRound: rounds?.lastRound ?? null };
}
