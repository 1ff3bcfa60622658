/**
 * When a table's difference check runs (docs/difference-check.md, Schedule): a round reads every row by key and version
 * once per `verifyEvery`, in slices spread over that time, each taken once the time passed has earned it, so that an
 * idle table costs nothing between them. A suspect copy (a restore, a lost state, a failed pass, a round that found
 * differences) has its round run at once, a slice every pass, as has a content round.
 */
export interface CheckSchedule {
  /** When the round under way started, in ms since the epoch. */
  roundStartedAt: number;
  /** Rows the round under way has checked. */
  checkedRows: number;
  /** When the last round finished, in ms since the epoch; undefined before one has. */
  lastRoundAt?: number;
  /** The round runs at once: the copy is suspect. */
  urgent: boolean;
}

export interface ScheduleSettings {
  /** A round's length, in ms. */
  everyMs: number;
  /** The most rows one slice checks. */
  sliceRows: number;
  /** The time between passes, in ms: a scheduled round's slices are sized by it. */
  passMs: number;
}

/** The fewest rows a scheduled slice checks: below it, a slice's fixed cost (a request, a job) outweighs its rows. */
export const MIN_SCHEDULED_SLICE = 20_000;

/** The round's time, a pass less than verifyEvery: its last slice, taken at a pass, still falls within it. */
function span(settings: ScheduleSettings): number {
  return Math.max(settings.everyMs - settings.passMs, 1);
}

/** Rows the round has earned by `now`: its share of the table for the time passed since it started. */
function earned(s: CheckSchedule, tableRows: number, settings: ScheduleSettings, now: number): number {
  return (Math.max(tableRows, 1) * Math.max(0, now - s.roundStartedAt)) / span(settings);
}

/** The round has run its time: what is left of it is due, whatever was counted (updated rows are checked again). */
function overdue(s: CheckSchedule, settings: ScheduleSettings, now: number): boolean {
  return now - s.roundStartedAt >= span(settings);
}

/** A scheduled slice while passes come on time: the table's share of one pass, within MIN_SCHEDULED_SLICE…sliceRows. */
function evenSlice(tableRows: number, settings: ScheduleSettings): number {
  const share = Math.ceil((tableRows * settings.passMs) / settings.everyMs);
  return Math.min(settings.sliceRows, Math.max(MIN_SCHEDULED_SLICE, share));
}

/**
 * The rows the next slice checks: a whole `sliceRows` in an urgent or overdue round; in a scheduled one, what the time
 * has earned and the round has not checked, at least the table's share of one pass (its rows over the passes in a
 * round) and MIN_SCHEDULED_SLICE, at most `sliceRows`: small and even while passes come on time, larger when they come
 * late (a slow pass, `run --once` from cron), so that the round still ends within verifyEvery.
 */
export function sliceRowsFor(s: CheckSchedule, tableRows: number, settings: ScheduleSettings, now: number): number {
  if (s.urgent || overdue(s, settings, now)) return settings.sliceRows;
  const owed = Math.ceil(earned(s, tableRows, settings, now) - s.checkedRows);
  return Math.min(settings.sliceRows, Math.max(evenSlice(tableRows, settings), owed));
}

/** A new round from `now`: urgent when the copy is suspect. */
export function newRound(now: number, urgent: boolean, lastRoundAt?: number): CheckSchedule {
  return { roundStartedAt: now, checkedRows: 0, urgent, ...(lastRoundAt === undefined ? {} : { lastRoundAt }) };
}

/**
 * Whether a pass that finds the table equal checks a slice now: an urgent or overdue round, a content round, or once
 * the time has earned the next slice (a whole one, or what is left of the table: an empty table has its one check).
 * `tableRows`: the table's rows as last counted (the remote count, which the pass already has).
 */
export function checkDue(
  s: CheckSchedule,
  tableRows: number,
  settings: ScheduleSettings,
  now: number,
  content = false,
): boolean {
  if (s.urgent || content || overdue(s, settings, now)) return true;
  const next = Math.max(1, Math.min(evenSlice(tableRows, settings), tableRows - s.checkedRows));
  return s.checkedRows + next <= earned(s, tableRows, settings, now);
}

/**
 * The schedule after a slice: `checked` rows more, and when the slice finished the round (`roundDone`), a new round
 * that is urgent again when this one found differences (its repairs are proven by the next).
 */
export function afterSlice(
  s: CheckSchedule,
  checked: number,
  roundDone: boolean,
  foundInRound: number,
  now: number,
): CheckSchedule {
  if (!roundDone) return { ...s, checkedRows: s.checkedRows + checked };
  return newRound(now, foundInRound > 0, now);
}

/** When the round under way is due to have checked every row (ms since the epoch); now when it is urgent. */
export function roundDueAt(s: CheckSchedule, settings: Pick<ScheduleSettings, 'everyMs'>, now: number): number {
  return s.urgent ? now : s.roundStartedAt + settings.everyMs;
}
