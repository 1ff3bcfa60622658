/** The prefix of every queue key unless QUEUE_PREFIX says otherwise. */
export const DEFAULT_QUEUE_PREFIX = '{rowferry}';

/** ioredis connection options, as the API and the workers open them. */
export interface RedisConnection {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  tls?: Record<string, never>;
  maxRetriesPerRequest: null;
}

/**
 * Where Redis (the job queues) is: `redis://` or `rediss://` (TLS; trusted CAs as Node's, NODE_EXTRA_CA_CERTS adds
 * one), with an ACL user name and password if given, and a database number.
 */
export function redisConnection(env: NodeJS.ProcessEnv = process.env): RedisConnection {
  const url = new URL(env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new Error(`REDIS_URL must be redis:// or rediss:// (TLS), not ${url.protocol}//`);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : undefined,
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    // BullMQ workers block on Redis; a per-request retry limit would make them give up.
    maxRetriesPerRequest: null,
  };
}

/**
 * BullMQ key prefix, also used for rowferry's own keys beside the queues. The hash tag keeps every key of a queue in
 * one Redis Cluster slot (without it BullMQ fails with CROSSSLOT); tests give each run its own prefix.
 */
export function queuePrefix(env: NodeJS.ProcessEnv = process.env): string {
  const prefix = env.QUEUE_PREFIX ?? DEFAULT_QUEUE_PREFIX;
  if (!/^\{[^}]+\}/.test(prefix))
    throw new Error(`QUEUE_PREFIX "${prefix}" must start with a Redis hash tag such as {rowferry}`);
  return prefix;
}
