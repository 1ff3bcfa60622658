/**
 * Batch size from history (docs/tuning.md): grow while batches succeed quickly, shrink sharply on failure or slowness,
 * always within the configured bounds. Pure: the API feeds it the table's recent batches.
 */
export interface TuningSettings {
  minRows: number;
  maxRows: number;
  initialRows: number;
  /** A batch should take about this long to apply. */
  targetMs: number;
  /** No batch larger than this many bytes on the wire. */
  maxBytes: number;
}

/** How a batch went: applied whole, applied with some rows quarantined (partial), or failed. */
export type BatchOutcome = 'applied' | 'partial' | 'failed';

/** The batches the tuning looks back over, newest first. */
export const TUNING_WINDOW = 10;

export interface BatchSample {
  rows: number;
  bytes: number;
  durationMs: number;
  outcome: BatchOutcome;
}

export interface Recommendation {
  rows: number;
  reason: string;
  /** Batches at the minimum size still fail: the failing rows are being isolated and set aside. */
  skipAhead: boolean;
}

/** How many recent batches must be quick before the size grows. */
const QUICK_STREAK = 3;

/** @param history the table's recent upload batches, newest first */
export function recommendBatchSize(history: readonly BatchSample[], s: TuningSettings): Recommendation {
  const clamp = (n: number) => Math.max(s.minRows, Math.min(s.maxRows, Math.floor(n)));
  const last = history[0];
  if (!last)
    return byteCapped(
      {
        rows: clamp(s.initialRows),
        reason: `no batches yet: starting at ${clamp(s.initialRows)} rows`,
        skipAhead: false,
      },
      undefined,
      s,
    );

  const troubled = last.outcome !== 'applied';
  if (troubled && last.rows <= s.minRows)
    return {
      rows: s.minRows,
      reason: `batches at the minimum size (${s.minRows} rows) still ${last.outcome === 'failed' ? 'fail' : 'hold refused rows'}: those rows are isolated and quarantined so the table moves past them (skip ahead)`,
      skipAhead: true,
    };
  if (last.outcome === 'failed') {
    const rows = clamp(last.rows / 2);
    return byteCapped(
      { rows, reason: `the last batch (${last.rows} rows) failed: halving to ${rows}`, skipAhead: false },
      last,
      s,
    );
  }
  if (last.durationMs > s.targetMs) {
    const rows = clamp((last.rows * s.targetMs) / last.durationMs);
    return byteCapped(
      {
        rows,
        reason: `the last batch (${last.rows} rows) took ${Math.round(last.durationMs)} ms, over the ${s.targetMs} ms target: scaling down to ${rows}`,
        skipAhead: false,
      },
      last,
      s,
    );
  }
  // The size in use: the largest of the recent batches that went well, back to the first that did not. (Small
  // repair uploads of the difference check must not drag it down, nor an old size from before a slowdown push it up.)
  const window = history.slice(0, TUNING_WINDOW);
  const firstBad = window.findIndex((b) => b.outcome === 'failed' || b.durationMs > s.targetMs);
  const run = firstBad < 0 ? window : window.slice(0, firstBad);
  const size = Math.max(...run.map((b) => b.rows));
  const recent = run.slice(0, QUICK_STREAK);
  const quick = recent.length === QUICK_STREAK && recent.every((b) => b.durationMs < s.targetMs / 2);
  if (quick && size < s.maxRows) {
    const rows = clamp(size * 2);
    return byteCapped(
      {
        rows,
        reason: `the last ${QUICK_STREAK} batches succeeded in under half the ${s.targetMs} ms target: growing to ${rows}`,
        skipAhead: false,
      },
      last,
      s,
    );
  }
  const rows = clamp(size);
  return byteCapped(
    {
      rows,
      reason:
        rows >= s.maxRows
          ? `at the maximum (${s.maxRows} rows) and within the target`
          : `within the ${s.targetMs} ms target: keeping ${rows}`,
      skipAhead: false,
    },
    last,
    s,
  );
}

function byteCapped(r: Recommendation, last: BatchSample | undefined, s: TuningSettings): Recommendation {
  if (!last || last.bytes <= 0 || last.rows <= 0) return r;
  const bytesPerRow = last.bytes / last.rows;
  const cap = Math.max(s.minRows, Math.floor(s.maxBytes / bytesPerRow));
  if (r.rows <= cap) return r;
  return {
    ...r,
    rows: cap,
    reason: `${r.reason}; capped at ${cap} rows by the ${s.maxBytes}-byte limit (${Math.round(bytesPerRow)} bytes a row)`,
  };
}
