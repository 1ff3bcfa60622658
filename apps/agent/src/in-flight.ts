/**
 * Jobs the agent waits on while it goes on sending. Each is watched from the moment it is added, so one that fails
 * (or vanishes) while the agent is busy elsewhere is recorded, never an unhandled rejection that would end the
 * process. After a failure nothing more should be sent: `below` and `settle` wait for the rest, then throw the
 * first failure, so a pass never leaves its own jobs running behind it.
 */
export class InFlight {
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  add(job: Promise<unknown>): void {
    const watched: Promise<void> = job
      .then(
        () => undefined,
        (error: unknown) => void (this.failure ??= { error }),
      )
      .finally(() => this.running.delete(watched));
    this.running.add(watched);
  }

  /** Waits until fewer than `limit` jobs are running; throws (after all have settled) once one has failed. */
  async below(limit: number): Promise<void> {
    while (this.running.size >= limit && !this.failure) await Promise.race(this.running);
    if (this.failure) await this.settle();
  }

  /** Waits for every job; throws the first failure. */
  async settle(): Promise<void> {
    await Promise.all(this.running);
    if (this.failure) throw this.failure.error;
  }
}
