import { Inject, Injectable, Logger } from '@nestjs/common';
import { queuePrefix, type RedisClient } from '#queues';
import { REDIS } from '../tokens.js';

/**
 * When each database's agent last asked for its version info, which it does at the start of every pass: the status
 * page's "agent seen". One Redis hash, written without waiting (a lost write only makes the page a pass late).
 */
@Injectable()
export class AgentsSeen {
  private readonly log = new Logger('agents-seen');
  private readonly key = `${queuePrefix()}:agents-seen`;

  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  seen(databaseId: string): void {
    this.redis.hset(this.key, databaseId, Date.now()).catch((err: Error) => this.log.warn(err.message));
  }

  async lastSeen(databaseIds: string[]): Promise<Map<string, Date>> {
    const unique = [...new Set(databaseIds)];
    if (unique.length === 0) return new Map();
    const times = await this.redis.hmget(this.key, ...unique);
    return new Map(unique.flatMap((id, i) => (times[i] ? [[id, new Date(Number(times[i]))] as const] : [])));
  }
}
