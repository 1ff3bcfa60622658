/** Where a table's upload of its backlog stands: versions (after, upTo] are being sent, up to `at` so far. */
export interface UploadProgress {
  table: string;
  from: bigint;
  at: bigint;
  to: bigint;
  /** Rows (and deleted keys) sent so far. */
  rows: number;
  done: boolean;
}

/**
 * One line for a terminal: `people  [########----------]  42%  420,000 rows  61,000 rows/s  ETA 0:09`. The share is of
 * versions (what the agent knows without counting rows), the rate of rows, the ETA from the share's rate.
 */
export function progressLine(p: UploadProgress, elapsedMs: number, width: number): string {
  const span = p.to - p.from;
  const share = span > 0n ? Number(((p.at - p.from) * 10_000n) / span) / 10_000 : 1;
  const seconds = elapsedMs / 1000;
  const rate = seconds > 0 ? Math.round(p.rows / seconds) : 0;
  const eta = share > 0 && share < 1 ? clock((seconds * (1 - share)) / share) : share >= 1 ? '0:00' : '?';
  const tail = `  ${Math.floor(share * 100)
    .toString()
    .padStart(3)}%  ${p.rows.toLocaleString('en-US')} rows  ${rate.toLocaleString('en-US')} rows/s  ETA ${eta}`;
  const name = p.table.length > 24 ? `${p.table.slice(0, 23)}…` : p.table;
  const barWidth = Math.max(10, Math.min(40, width - name.length - tail.length - 4));
  const filled = Math.round(share * barWidth);
  return `${name}  [${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]${tail}`.slice(0, width);
}

function clock(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * The progress bar of `run` on a terminal: drawn in place, at most a few times a second, only for uploads that take
 * longer than a second (a pass of a few rows draws nothing); log lines clear it first.
 */
export class ProgressBar {
  private started = new Map<string, number>();
  private drawnAt = 0;
  private shown = false;

  constructor(private readonly out: { write(s: string): unknown; columns?: number }) {}

  readonly update = (p: UploadProgress): void => {
    const now = Date.now();
    const started = this.started.get(p.table) ?? now;
    this.started.set(p.table, started);
    if (p.done) {
      this.started.delete(p.table);
      this.clear();
      return;
    }
    if (now - started < 1000 || now - this.drawnAt < 250) return;
    this.drawnAt = now;
    this.shown = true;
    this.out.write(`\r${progressLine(p, now - started, (this.out.columns || 100) - 1)}\x1b[K`);
  };

  clear(): void {
    if (this.shown) this.out.write('\r\x1b[K');
    this.shown = false;
  }
}
