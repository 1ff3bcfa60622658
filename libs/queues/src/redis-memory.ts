import type { Cluster, Redis } from 'ioredis';
import type { RedisClient } from './redis-connection.js';

/** How full Redis is: it holds every queued job's rows and must not evict them (docs/operations.md). */
export interface RedisMemory {
  usedMemoryBytes: number;
  /** 0: no limit set. */
  maxMemoryBytes: number;
  evictionPolicy: string;
}

/** One server's memory; a cluster's is the sum over its primaries (each holds its own slots' jobs). */
export async function readRedisMemory(redis: RedisClient): Promise<RedisMemory> {
  const servers = redis.isCluster ? await primaries(redis as Cluster) : [redis as Redis];
  const infos = await Promise.all(servers.map((s) => s.info('memory')));
  const each = (name: string) => infos.map((info) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0));
  const max = each('maxmemory');
  const policies = new Set(infos.map((info) => /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? 'unknown'));
  return {
    usedMemoryBytes: each('used_memory').reduce((a, b) => a + b, 0),
    maxMemoryBytes: max.includes(0) ? 0 : max.reduce((a, b) => a + b, 0), // a server without a limit: none
    evictionPolicy: [...policies].join(','),
  };
}

/** A cluster's primaries, once the client knows them (a command waits for its first connection to the cluster). */
export async function primaries(cluster: Cluster): Promise<Redis[]> {
  await cluster.ping();
  return cluster.nodes('master');
}
