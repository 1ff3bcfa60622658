import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { queuePrefix, type RedisClient } from '#queues';
import { REDIS } from '../tokens.js';

/** How often the times seen are written: the status page may show an agent up to this late. */
const WRITE_EVERY_MS = 1000;

/**
 * When each database's agent last asked for its version info, which it does at the start of every pass: the status
 * page's "agent seen". One Redis hash, written once a second for every agent seen meanwhile rather than once a
 * request (a write per version GET was a round trip on the API's hottest route); a lost write only makes the page a
 * pass late.
 */
@Injectable()
export class AgentsSeen implements BeforeApplicationShutdown {
  private readonly log = new Logger('agents-seen');
  private readonly key = `${queuePrefix()}:agents-seen`;
  private unwritten = new Map<string, number>();
  private readonly timer = setInterval(() => void this.write(), WRITE_EVERY_MS).unref();

  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  seen(databaseId: string): void {
    this.unwritten.set(databaseId, Date.now());
  }

  async lastSeen(databaseIds: string[]): Promise<Map<string, Date>> {
    const unique = [...new Set(databaseIds)];
    if (unique.length === 0) return new Map();
    const times = await this.redis.hmget(this.key, ...unique);
    return new Map(
      unique.flatMap((id, i) => {
        const time = this.unwritten.get(id) ?? (times[i] ? Number(times[i]) : undefined);
        return time === undefined ? [] : [[id, new Date(time)] as const];
      }),
    );
  }

  // Before, not on, shutdown: the Redis client is closed then.
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.write();
  }

  private async write(): Promise<void> {
    if (this.unwritten.size === 0) return;
    const times = this.unwritten;
    this.unwritten = new Map();
    await this.redis.hset(this.key, Object.fromEntries(times)).catch((err: Error) => this.log.warn(err.message));
  }
}
