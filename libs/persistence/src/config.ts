import { QUEUE_PREFIX } from '#contracts';

/** Where the remote PostgreSQL is. One variable, the usual URL form. */
export function databaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/rowferry';
}

/**
 * Where Redis (the job queues) is, as ioredis connection options: `redis://` or `rediss://` (TLS; trusted CAs as
 * Node's, NODE_EXTRA_CA_CERTS adds one), with an ACL user name and password if given, and a database number.
 */
export function redisConnection(env: NodeJS.ProcessEnv = process.env): {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  tls?: Record<string, never>;
  maxRetriesPerRequest: null;
} {
  const url = new URL(env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error(`REDIS_URL must be redis:// or rediss:// (TLS), not ${url.protocol}//`);
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

/** BullMQ key prefix. It must keep a {hash tag} for Redis Cluster; tests give each run its own. */
export function queuePrefix(env: NodeJS.ProcessEnv = process.env): string {
  const prefix = env.QUEUE_PREFIX ?? QUEUE_PREFIX;
  if (!/^\{[^}]+\}/.test(prefix)) throw new Error(`QUEUE_PREFIX "${prefix}" must start with a Redis hash tag such as {rowferry}`);
  return prefix;
}
