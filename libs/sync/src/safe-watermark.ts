/**
 * The safe watermark of a source whose version counter hands out values before their transactions commit
 * (PostgreSQL sequences, MariaDB sequences): a lower version can become visible after higher ones, so the "ahead" path
 * reads only up to a counter value proven safe. Each reading of the counter is kept with evidence of the transactions
 * that could still hold a version up to it; once the evidence shows them all finished, every version up to that
 * reading is committed or rolled back, and the watermark moves to it. It never moves back, except by `reset` after a
 * restore (the counter was rewound with the data, and what was proven of the old timeline says nothing now).
 */
export class SafeWatermark<Evidence> {
  private readings: { counter: bigint; evidence: Evidence }[] = [];
  private safe = 0n;

  /** Records a reading of the counter, moves the watermark over every reading `finished` now proves, and returns it. */
  advance(counter: bigint, evidence: Evidence, finished: (evidence: Evidence) => boolean): bigint {
    this.readings.push({ counter, evidence });
    for (const r of this.readings) if (r.counter > this.safe && finished(r.evidence)) this.safe = r.counter;
    // Readings at or below the watermark can prove nothing more; a bound keeps memory flat under a stuck transaction.
    this.readings = this.readings.filter((r) => r.counter > this.safe).slice(-MAX_READINGS);
    return this.safe;
  }

  reset(): void {
    this.readings = [];
    this.safe = 0n;
  }
}

const MAX_READINGS = 1000;
