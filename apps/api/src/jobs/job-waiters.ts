import { QueueEvents } from 'bullmq';
import type { QueueName } from '#contracts';
import { queueConnection, queuePrefix } from '#queues';

/**
 * Long polls of a job's status (`GET …/jobs/{id}?waitMs=`): a waiter is woken by BullMQ's own event stream (one
 * QueueEvents per queue) when its job completes or fails an attempt, so an agent hears of a finished job at once
 * rather than at its next poll, and with one request instead of a handful.
 */
export class JobWaiters {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly events: QueueEvents[];

  constructor(queues: readonly QueueName[]) {
    this.events = queues.map((name) => {
      const events = new QueueEvents(name, { connection: queueConnection(), prefix: queuePrefix() });
      events.on('completed', ({ jobId }) => this.wake(jobId));
      events.on('failed', ({ jobId }) => this.wake(jobId));
      return events;
    });
  }

  /**
   * The job's state (its BullMQ id), read by `read`; when it has not finished, read again once the job finishes an
   * attempt, after `ms` at the latest, or at shutdown. The first read comes after the waiter is in place, so a job
   * that finishes in between is not waited for.
   */
  async stateAfterWaiting<S extends string>(bullId: string, ms: number, read: () => Promise<S>): Promise<S> {
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    const set = this.waiters.get(bullId) ?? new Set();
    this.waiters.set(bullId, set.add(wake));
    const timer = setTimeout(wake, ms);
    try {
      const state = await read();
      if (state === 'completed' || state === 'failed' || state === 'unknown') return state;
      await woken;
      return await read();
    } finally {
      clearTimeout(timer);
      set.delete(wake);
      if (set.size === 0) this.waiters.delete(bullId);
    }
  }

  /** Every long poll answers now (with the status as it is): for shutdown, so no request holds the server open. */
  releaseAll(): void {
    for (const set of this.waiters.values()) for (const wake of set) wake();
  }

  async close(): Promise<void> {
    this.releaseAll();
    await Promise.all(this.events.map((e) => e.close()));
  }

  private wake(bullId: string): void {
    for (const wake of this.waiters.get(bullId) ?? []) wake();
  }
}
