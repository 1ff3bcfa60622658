import {
  afterSlice,
  checkDue,
  MIN_SCHEDULED_SLICE,
  newRound,
  roundDueAt,
  sliceRowsFor,
  type CheckSchedule,
  type ScheduleSettings,
} from './check-schedule.js';

const HOUR = 3_600_000;
const settings: ScheduleSettings = { everyMs: 6 * HOUR, sliceRows: 500_000, passMs: 30_000 };

/**
 * Passes every `every` ms (`passMs` unless given: later passes are a slow pass, or `run --once` from cron) over
 * `hours`, an idle table of `rows` rows: returns when each slice ran and how many rows it checked, and when each round
 * finished. `again`: the share of a slice's rows counted twice (rows updated meanwhile are checked again).
 */
function simulate(rows: number, hours: number, s: ScheduleSettings = settings, every = s.passMs, again = 0) {
  let schedule: CheckSchedule = newRound(0, false);
  let position = 0; // rows of the table walked in this round
  const slices: { at: number; rows: number }[] = [];
  const rounds: number[] = [];
  for (let now = 0; now <= hours * HOUR; now += every) {
    if (!checkDue(schedule, rows, s, now)) continue;
    const size = Math.min(sliceRowsFor(schedule, rows, s, now), rows - position);
    position += size;
    const done = position >= rows;
    slices.push({ at: now, rows: size });
    if (done) rounds.push(now);
    schedule = afterSlice(schedule, Math.round(size * (1 + again)), done, 0, now);
    if (done) position = 0;
  }
  return { slices, rounds };
}

describe('checkDue: the difference check as a budget over time', () => {
  it('an idle pass with no slice earned checks nothing', () => {
    const s = newRound(0, false);
    expect(checkDue(s, 1_000_000, settings, 30_000)).toBe(false);
    expect(checkDue(s, 100, settings, 5 * HOUR)).toBe(false);
  });

  it('an urgent round, or a content round, checks every pass', () => {
    expect(checkDue(newRound(0, true), 1_000_000, settings, 0)).toBe(true);
    expect(checkDue(newRound(0, false), 1_000_000, settings, 0, true)).toBe(true);
  });

  it.each([0, 1, 100, 20_000, 99_999, 1_000_000, 10_000_000, 123_456_789])(
    'a table of %i rows: every row checked in each round, each round within verifyEvery, over a day',
    (rows) => {
      const { slices, rounds } = simulate(rows, 24);
      expect(rounds.length).toBeGreaterThanOrEqual(4);
      for (let i = 1; i < rounds.length; i++) expect(rounds[i] - rounds[i - 1]).toBeLessThanOrEqual(settings.everyMs);
      const checked = slices.filter((s) => s.at <= rounds[0]).reduce((n, s) => n + s.rows, 0);
      expect(checked).toBe(rows);
    },
  );

  it('spreads a large table over the round: most passes check nothing, each slice is small', () => {
    const { slices } = simulate(1_000_000, 6);
    const passes = (6 * HOUR) / settings.passMs;
    expect(slices.length).toBeGreaterThanOrEqual(45);
    expect(slices.length).toBeLessThanOrEqual(1_000_000 / MIN_SCHEDULED_SLICE);
    expect(slices.length / passes).toBeLessThan(0.1);
    expect(Math.max(...slices.map((s) => s.rows))).toBeLessThan(MIN_SCHEDULED_SLICE * 1.25);
    // Even: the gaps between slices differ by no more than a pass.
    const gaps = slices.slice(1).map((s, i) => s.at - slices[i].at);
    expect(Math.max(...gaps) - Math.min(...gaps)).toBeLessThanOrEqual(settings.passMs);
  });

  it('sizes a scheduled slice by the table’s share of a pass, up to sliceRows; an urgent one takes sliceRows', () => {
    const s = newRound(0, false);
    expect(sliceRowsFor(s, 1_000, settings, 0)).toBe(MIN_SCHEDULED_SLICE);
    expect(sliceRowsFor(s, 720 * 100_000, settings, 0)).toBe(100_000);
    expect(sliceRowsFor(s, 10_000_000_000, settings, 0)).toBe(settings.sliceRows);
    expect(sliceRowsFor(newRound(0, true), 1_000, settings, 0)).toBe(settings.sliceRows);
  });

  it('a round that found differences is followed by an urgent one; a clean one by a scheduled one', () => {
    const s = newRound(0, true);
    expect(afterSlice(s, 10, true, 3, 1_000)).toEqual({
      roundStartedAt: 1_000,
      checkedRows: 0,
      urgent: true,
      lastRoundAt: 1_000,
    });
    expect(afterSlice(s, 10, true, 0, 1_000)).toEqual({
      roundStartedAt: 1_000,
      checkedRows: 0,
      urgent: false,
      lastRoundAt: 1_000,
    });
    expect(afterSlice(s, 10, false, 3, 1_000)).toEqual({ ...s, checkedRows: 10 });
  });

  it('says when the round is due to finish', () => {
    expect(roundDueAt(newRound(5, false), settings, 100)).toBe(5 + settings.everyMs);
    expect(roundDueAt(newRound(5, true), settings, 100)).toBe(100);
  });

  it.each([
    [100_000_000, 31_000],
    [100_000_000, 35_000],
    [1_000_000, HOUR], // run --once from cron, hourly
    [5_000_000, 20 * 60_000],
  ])(
    'a table of %i rows, passes every %i ms (later than the interval): each round still ends within verifyEvery and a pass',
    (rows, every) => {
      const { rounds } = simulate(rows, 30, settings, every);
      expect(rounds.length).toBeGreaterThanOrEqual(4);
      expect(rounds[0]).toBeLessThanOrEqual(settings.everyMs + every);
      for (let i = 1; i < rounds.length; i++)
        expect(rounds[i] - rounds[i - 1]).toBeLessThanOrEqual(settings.everyMs + every);
    },
  );

  it('rows updated during a round (counted twice) do not hold its end past verifyEvery', () => {
    const { rounds } = simulate(10_000_000, 24, settings, settings.passMs, 0.1);
    for (let i = 1; i < rounds.length; i++) expect(rounds[i] - rounds[i - 1]).toBeLessThanOrEqual(settings.everyMs);
  });

  it('a clock set back does not make a slice due', () => {
    expect(checkDue(newRound(10 * HOUR, false), 1_000_000, settings, 0)).toBe(false);
  });
});
