import { Cluster, Redis } from 'ioredis';

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

/** rowferry's own Redis client: one server, or a Redis Cluster. Both run the same commands and scripts. */
export type RedisClient = Redis | Cluster;

/**
 * The seed nodes of a Redis Cluster, from REDIS_CLUSTER_NODES (`host:port,host:port,…`); undefined when rowferry uses
 * one server (REDIS_URL). A cluster takes its user, password and TLS from REDIS_URL, whose host is then not used.
 */
export function redisClusterNodes(env: NodeJS.ProcessEnv = process.env): { host: string; port: number }[] | undefined {
  const list = env.REDIS_CLUSTER_NODES?.trim();
  if (!list) return undefined;
  return list.split(',').map((node) => {
    const m = /^\s*([^\s:]+|\[[^\]]+\]):(\d{1,5})\s*$/.exec(node);
    if (!m || Number(m[2]) > 65535)
      throw new Error(`REDIS_CLUSTER_NODES must list host:port pairs separated by commas; "${node}" is not one`);
    return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  });
}

/** A new client for rowferry's own keys (fair share, pending jobs, …), to the server or the cluster configured. */
export function newRedisClient(env: NodeJS.ProcessEnv = process.env): RedisClient {
  const options = redisConnection(env);
  const nodes = redisClusterNodes(env);
  if (!nodes) return new Redis(options);
  if (options.db !== undefined) throw new Error('a Redis Cluster has only database 0: REDIS_URL must not name one');
  const { host: _host, port: _port, db: _db, ...perNode } = options;
  // Every key of rowferry's starts with the queue prefix's hash tag: each multi-key command and script is in one slot.
  return new Cluster(nodes, { redisOptions: perNode });
}

let sharedCluster: Cluster | undefined;

/**
 * What BullMQ connects with. One server: its options, and every queue, worker and event stream opens connections of
 * its own. A cluster: one client for the process, made on first use (BullMQ cannot make a cluster from options; it
 * duplicates this client for its blocking reads). BullMQ never closes a client it was given; the process ends with
 * the signal once Nest's shutdown hooks have run, so it need not be closed either.
 */
export function queueConnection(env: NodeJS.ProcessEnv = process.env): RedisConnection | Cluster {
  if (!redisClusterNodes(env)) return redisConnection(env);
  sharedCluster ??= newRedisClient(env) as Cluster;
  return sharedCluster;
}

/** What is wrong with the Redis settings (REDIS_URL, REDIS_CLUSTER_NODES, QUEUE_PREFIX), for the start-up check. */
export function redisSettingsProblem(env: NodeJS.ProcessEnv = process.env): string | undefined {
  try {
    redisConnection(env);
    queuePrefix(env);
    if (redisClusterNodes(env) && redisConnection(env).db !== undefined)
      return 'a Redis Cluster has only database 0: REDIS_URL must not name one';
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
