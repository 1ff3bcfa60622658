import { recommendBatchSize, type BatchSample, type TuningSettings } from './batch-tuning.js';

const settings: TuningSettings = {
  minRows: 100,
  maxRows: 20_000,
  initialRows: 2000,
  targetMs: 1000,
  maxBytes: 16 * 1024 * 1024,
};
const ok = (rows: number, durationMs = 100, bytes = rows * 50): BatchSample => ({
  rows,
  bytes,
  durationMs,
  outcome: 'applied',
});
const failed = (rows: number): BatchSample => ({ rows, bytes: rows * 50, durationMs: 50, outcome: 'failed' });

/** Simulates a table: each batch takes `msPerRow(rows)` and fails when `fails(rows)`; returns the sizes chosen. */
function simulate(
  steps: number,
  msPerRow: (i: number) => number,
  s = settings,
  fails = (_rows: number, _i: number) => false,
): number[] {
  const history: BatchSample[] = [];
  const sizes: number[] = [];
  for (let i = 0; i < steps; i++) {
    const { rows } = recommendBatchSize(history, s);
    sizes.push(rows);
    history.unshift(fails(rows, i) ? failed(rows) : ok(rows, rows * msPerRow(i)));
  }
  return sizes;
}

describe('recommendBatchSize', () => {
  it('starts at the initial size', () => {
    expect(recommendBatchSize([], settings)).toEqual({
      rows: 2000,
      reason: 'no batches yet: starting at 2000 rows',
      skipAhead: false,
    });
  });

  it('converges up to the maximum under steady quick success, and stays there', () => {
    const sizes = simulate(30, () => 0.001);
    expect(sizes[sizes.length - 1]).toBe(20_000);
    expect(sizes.every((n, i) => i === 0 || n >= sizes[i - 1])).toBe(true);
    expect(recommendBatchSize([ok(20_000), ok(20_000), ok(20_000)], settings).reason).toMatch(/at the maximum/);
  });

  it('roughly halves after a failure', () => {
    const r = recommendBatchSize([failed(8000), ok(8000), ok(8000)], settings);
    expect(r).toMatchObject({ rows: 4000, skipAhead: false });
    expect(r.reason).toBe('the last batch (8000 rows) failed: halving to 4000');
  });

  it('brings a slow database down to meet the target duration', () => {
    const r = recommendBatchSize([ok(10_000, 5000)], settings);
    expect(r.rows).toBe(2000);
    expect(r.reason).toMatch(/took 5000 ms, over the 1000 ms target: scaling down to 2000/);
    // A database that becomes slow (10 ms a row) settles where a batch takes about the target, then recovers.
    const sizes = simulate(40, (i) => (i >= 10 && i < 25 ? 10 : 0.001));
    const slowPhase = sizes.slice(15, 25);
    for (const n of slowPhase) expect(n * 10).toBeLessThanOrEqual(settings.targetMs);
    expect(Math.max(...slowPhase)).toBeGreaterThanOrEqual(settings.minRows);
    expect(sizes[39]).toBe(20_000);
  });

  it('keeps the size when batches are within the target but not quick', () => {
    expect(recommendBatchSize([ok(5000, 700), ok(5000, 700), ok(5000, 700)], settings)).toMatchObject({ rows: 5000 });
  });

  it('does not grow on fewer than three quick batches', () => {
    expect(recommendBatchSize([ok(2000), ok(2000)], settings).rows).toBe(2000);
  });

  it('triggers skip-ahead when batches at the minimum still fail or hold refused rows', () => {
    expect(recommendBatchSize([failed(100)], settings)).toMatchObject({ rows: 100, skipAhead: true });
    expect(recommendBatchSize([{ ...ok(80), outcome: 'partial' }], settings)).toMatchObject({
      rows: 100,
      skipAhead: true,
    });
    expect(recommendBatchSize([failed(100)], settings).reason).toMatch(/skip ahead/);
  });

  it('never goes below the minimum or above the maximum', () => {
    expect(recommendBatchSize([failed(150)], settings).rows).toBe(100);
    expect(recommendBatchSize([ok(150, 100_000)], settings).rows).toBe(100);
    expect(recommendBatchSize([ok(19_000), ok(19_000), ok(19_000)], settings).rows).toBe(20_000);
    const sizes = simulate(
      50,
      () => 0.001,
      settings,
      (_rows, i) => i % 7 === 3,
    );
    for (const n of sizes) {
      expect(n).toBeGreaterThanOrEqual(100);
      expect(n).toBeLessThanOrEqual(20_000);
    }
  });

  it('respects the byte limit for wide rows', () => {
    const wide = (rows: number) => ok(rows, 10, rows * 4096); // 4 KiB a row
    const r = recommendBatchSize([wide(4000), wide(4000), wide(4000)], settings);
    expect(r.rows).toBe(4096); // 16 MiB / 4 KiB
    expect(r.reason).toMatch(/capped at 4096 rows by the 16777216-byte limit \(4096 bytes a row\)/);
  });
});
