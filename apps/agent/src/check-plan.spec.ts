import { CheckPlan } from './check-plan.js';
import type { AgentState } from './state.js';
import { passReport, type PassReport } from './table-pass.js';

const HOUR = 3_600_000;
const config = { verifyEvery: 6 * 3600, verifyContentEvery: 24 * 3600, sliceRows: 500_000, intervalSeconds: 30 };
const emptyState = (): AgentState => ({
  positions: {},
  refusals: {},
  rounds: {},
  content: {},
  passes: {},
  checks: {},
});
const report = (over: Partial<PassReport> = {}): PassReport => ({ ...passReport('t', 'x', 0n, ['equal']), ...over });

/** A plan whose state has seen table "t" go round once, clean, at time 0. */
function settled() {
  const state = emptyState();
  const plan = new CheckPlan(state, config);
  plan.plan('t', 1_000_000, false, true, 0);
  plan.passed('t', report({ sliced: true, checked: 1_000_000 }), 0);
  return { state, plan };
}

describe('CheckPlan: each table’s difference check over time', () => {
  it('a table the state does not know (new, or a lost state file) is checked at once, a whole slice', () => {
    const plan = new CheckPlan(emptyState(), config);
    expect(plan.plan('t', 1_000_000, false, true, 0)).toEqual({ position: 0n, sliceRows: 500_000, content: false });
  });

  it('after a clean round, an idle pass checks nothing until a slice is earned', () => {
    const { plan } = settled();
    expect(plan.plan('t', 1_000_000, false, true, 30_000).sliceRows).toBeUndefined();
    const first = plan.plan('t', 1_000_000, false, true, 432_000).sliceRows!; // 20,000 rows earned
    expect(first).toBeGreaterThanOrEqual(20_000);
    expect(first).toBeLessThan(21_000);
  });

  it('a pass that comes late takes what the time has earned, so the round keeps to verifyEvery', () => {
    const { plan } = settled();
    const late = plan.plan('t', 1_000_000, false, true, HOUR).sliceRows!;
    expect(late).toBeGreaterThan(160_000); // a sixth of the table, an hour into a 6-hour round
    expect(late).toBeLessThan(170_000);
  });

  it('a restore, a failed pass or a remote ahead of the local database starts a round at once, from the start', () => {
    for (const suspect of [
      (p: CheckPlan) => p.plan('t', 1_000_000, true, true, 60_000),
      (p: CheckPlan) => {
        p.suspect('t', 60_000);
        return p.plan('t', 1_000_000, false, true, 60_000);
      },
      (p: CheckPlan) => {
        p.passed('t', report({ steps: ['behind', 'equal'], position: 0n }), 60_000);
        return p.plan('t', 1_000_000, false, true, 60_000);
      },
    ]) {
      const { state, plan } = settled();
      state.positions.t = 400_000n;
      expect(suspect(plan)).toEqual({ position: 0n, sliceRows: 500_000, content: false });
      expect(state.checks.t.lastRoundAt).toBe(0); // what status shows is kept
    }
  });

  it('a round that found differences is followed by another at once; its clean successor settles', () => {
    const { state, plan } = settled();
    plan.verifyNow('t', false, 10);
    plan.plan('t', 1_000, false, true, 10);
    plan.passed('t', report({ sliced: true, checked: 1_000, found: 2, repaired: 2 }), 20);
    expect(state.rounds.t).toEqual({ found: 0, lastRound: 2 });
    expect(plan.plan('t', 1_000, false, true, 30).sliceRows).toBe(500_000);
    plan.passed('t', report({ sliced: true, checked: 1_000 }), 40);
    expect(state.rounds.t).toEqual({ found: 0, lastRound: 0 });
    expect(plan.plan('t', 1_000, false, true, 50).sliceRows).toBeUndefined();
    expect(state.checks.t.lastRoundAt).toBe(40);
  });

  it('a slice part way through a round continues from where it ended', () => {
    const { state, plan } = settled();
    plan.suspect('t', 0);
    plan.passed('t', report({ sliced: true, checked: 500_000, position: 500_000n }), 1);
    expect(state.checks.t.checkedRows).toBe(500_000);
    expect(plan.plan('t', 1_000_000, false, true, 2)).toEqual({
      position: 500_000n,
      sliceRows: 500_000,
      content: false,
    });
  });

  it('a content round starts every verifyContentEvery, runs every pass, and counts as a round by keys too', () => {
    const { state, plan } = settled();
    const day = 24 * HOUR + 1;
    expect(plan.plan('t', 1_000_000, false, true, day)).toEqual({ position: 0n, sliceRows: 500_000, content: true });
    plan.passed('t', report({ sliced: true, checked: 500_000, position: 500_000n }), day);
    expect(plan.plan('t', 1_000_000, false, true, day + 1).content).toBe(true);
    plan.passed('t', report({ sliced: true, checked: 500_000, position: 0n }), day + 2);
    expect(state.content.t.running).toBe(false);
    expect(state.checks.t.lastRoundAt).toBe(day + 2);
    expect(plan.plan('t', 1_000_000, false, true, day + 3)).toEqual({
      position: 0n,
      sliceRows: undefined,
      content: false,
    });
  });

  it('a table whose deletes are not logged is checked every pass, a whole slice: only the check finds its deletes', () => {
    const { plan } = settled();
    expect(plan.plan('t', 1_000_000, false, false, 30_000).sliceRows).toBe(500_000);
    expect(plan.plan('t', 1_000_000, false, true, 30_000).sliceRows).toBeUndefined();
  });

  it('a pass that did not check leaves the round as it was', () => {
    const { state, plan } = settled();
    const before = structuredClone(state.checks.t);
    plan.passed('t', report({ steps: ['ahead', 'equal'], uploaded: 5 }), 1_000);
    expect(state.checks.t).toEqual(before);
    expect(state.rounds.t).toEqual({ found: 0, lastRound: 0 });
  });
});
