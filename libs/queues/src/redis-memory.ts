import type { Redis } from 'ioredis';

/** How full Redis is: it holds every queued job's rows and must not evict them (docs/operations.md). */
export interface RedisMemory {
  usedMemoryBytes: number;
  /** 0: no limit set. */
  maxMemoryBytes: number;
  evictionPolicy: string;
}

export async function readRedisMemory(redis: Pick<Redis, 'info'>): Promise<RedisMemory> {
  const info = await redis.info('memory');
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  return {
    usedMemoryBytes: field('used_memory'),
    maxMemoryBytes: field('maxmemory'),
    evictionPolicy: /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? 'unknown',
  };
}
