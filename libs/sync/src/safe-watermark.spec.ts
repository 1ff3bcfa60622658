import { SafeWatermark } from './safe-watermark.js';

/**
 * Evidence as PostgreSQL gives it: the snapshot's xmax at the reading; finished once the oldest running xid is past it.
 */
const finishedBefore = (xmin: number) => (xmax: number) => xmin >= xmax;

describe('the safe watermark', () => {
  it('stays at 0 while the transactions of the first reading run', () => {
    const w = new SafeWatermark<number>();
    expect(w.advance(10n, 100, finishedBefore(90))).toBe(0n);
  });

  it('moves to a reading once its transactions have finished, and not beyond', () => {
    const w = new SafeWatermark<number>();
    w.advance(10n, 100, finishedBefore(90));
    expect(w.advance(20n, 110, finishedBefore(100))).toBe(10n);
    expect(w.advance(30n, 120, finishedBefore(115))).toBe(20n);
  });

  it('moves to the newest reading at once when nothing is running', () => {
    const w = new SafeWatermark<number>();
    w.advance(10n, 100, finishedBefore(90));
    expect(w.advance(25n, 130, () => true)).toBe(25n);
  });

  it('never moves back, even when a later reading is lower', () => {
    const w = new SafeWatermark<number>();
    w.advance(50n, 1, () => true);
    expect(w.advance(40n, 2, () => true)).toBe(50n);
  });

  it('keeps a long-running transaction from being skipped: later readings wait for it', () => {
    const w = new SafeWatermark<Set<string>>();
    const runningNow = (ids: string[]) => (running: Set<string>) => [...running].every((id) => !ids.includes(id));
    w.advance(10n, new Set(['slow']), runningNow(['slow']));
    expect(w.advance(20n, new Set(['slow', 'b']), runningNow(['slow', 'b']))).toBe(0n);
    expect(w.advance(30n, new Set(['slow']), runningNow(['slow']))).toBe(0n);
    expect(w.advance(40n, new Set(), runningNow([]))).toBe(40n);
  });

  it('starts over after a reset (a restore rewound the counter)', () => {
    const w = new SafeWatermark<number>();
    w.advance(500n, 1, () => true);
    w.reset();
    expect(w.advance(7n, 2, finishedBefore(0))).toBe(0n);
    expect(w.advance(8n, 3, () => true)).toBe(8n);
  });

  it('keeps memory bounded under a transaction that never ends', () => {
    const w = new SafeWatermark<number>();
    for (let i = 1; i <= 5000; i++) w.advance(BigInt(i), 0, () => false);
    expect((w as unknown as { readings: unknown[] }).readings.length).toBe(1000);
  });
});
