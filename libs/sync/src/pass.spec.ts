import { decidePass, type PassFacts } from './pass.js';

const facts = (
  localMax: bigint,
  maxVersion: bigint,
  appliedThrough: bigint,
  pendingJobs = 0,
  restoredTo?: bigint,
): PassFacts => ({
  localMax,
  remote: { maxVersion, appliedThrough, pendingJobs },
  restoredTo,
});

describe('decidePass', () => {
  it.each([
    ['empty on both sides', facts(0n, 0n, 0n), { kind: 'equal' }],
    ['fresh table, remote empty', facts(100n, 0n, 0n), { kind: 'ahead', uploadAfter: 0n }],
    ['local ahead of applied watermark', facts(150n, 100n, 100n), { kind: 'ahead', uploadAfter: 100n }],
    ['a gap below remote max resumes from the watermark', facts(150n, 150n, 80n), { kind: 'ahead', uploadAfter: 80n }],
    ['in sync', facts(100n, 100n, 100n), { kind: 'equal' }],
    ['newest rows deleted locally', facts(90n, 100n, 100n), { kind: 'behind', deleteAbove: 90n }],
    ['local emptied', facts(0n, 100n, 100n), { kind: 'behind', deleteAbove: 0n }],
    ['behind wins over a gap', facts(90n, 100n, 50n), { kind: 'behind', deleteAbove: 90n }],
    ['remote max below watermark after remote deletes', facts(95n, 95n, 100n), { kind: 'equal' }],
    ['restore detected', facts(200n, 150n, 150n, 0, 120n), { kind: 'restore', deleteAbove: 120n }],
    ['restore to before any marker', facts(10n, 150n, 150n, 0, 0n), { kind: 'restore', deleteAbove: 0n }],
  ])('%s', (_name, f, expected) => {
    expect(decidePass(f)).toEqual(expected);
  });

  it('waits while jobs are pending, even when ahead, behind or restored', () => {
    for (const f of [facts(150n, 100n, 100n, 1), facts(50n, 100n, 100n, 3), facts(10n, 10n, 10n, 2, 5n)]) {
      const d = decidePass(f);
      expect(d.kind).toBe('wait');
      expect(d.kind === 'wait' && d.reason).toMatch(/pending/);
    }
  });
});
