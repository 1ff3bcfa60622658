import type { Cluster } from 'ioredis';
import {
  newRedisClient,
  queueConnection,
  queuePrefix,
  redisClusterNodes,
  redisConnection,
  redisSettingsProblem,
} from './redis-connection.js';

describe('the Redis connection settings', () => {
  it('default to the local Redis and never give up a blocked request', () => {
    expect(redisConnection({})).toEqual({
      host: '127.0.0.1',
      port: 6379,
      username: undefined,
      password: undefined,
      db: undefined,
      maxRetriesPerRequest: null,
    });
  });

  it('read user, password (URL-encoded), database and TLS from REDIS_URL', () => {
    expect(redisConnection({ REDIS_URL: 'rediss://rf%40ops:p%2Fw@redis.internal:6380/3' })).toEqual({
      host: 'redis.internal',
      port: 6380,
      username: 'rf@ops',
      password: 'p/w',
      db: 3,
      tls: {},
      maxRetriesPerRequest: null,
    });
  });

  it('refuse another scheme, naming it', () => {
    expect(() => redisConnection({ REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(
      'REDIS_URL must be redis:// or rediss:// (TLS), not http://',
    );
  });

  it.each(['{rowferry}', '{rf-test-1}', '{a}:b'])('accept a prefix with a hash tag: %s', (prefix) => {
    expect(queuePrefix({ QUEUE_PREFIX: prefix })).toBe(prefix);
  });

  it.each(['rowferry', '{}', 'x{rowferry}', '{rowferry'])(
    'refuse a prefix without a leading hash tag: %s',
    (prefix) => {
      expect(() => queuePrefix({ QUEUE_PREFIX: prefix })).toThrow('must start with a Redis hash tag');
    },
  );
});

describe('Redis Cluster settings', () => {
  it('are off without REDIS_CLUSTER_NODES', () => {
    expect(redisClusterNodes({})).toBeUndefined();
    expect(redisClusterNodes({ REDIS_CLUSTER_NODES: ' ' })).toBeUndefined();
  });

  it('list the seed nodes as host:port pairs', () => {
    expect(redisClusterNodes({ REDIS_CLUSTER_NODES: '127.0.0.1:7001, redis-b.internal:7002,[::1]:7003' })).toEqual([
      { host: '127.0.0.1', port: 7001 },
      { host: 'redis-b.internal', port: 7002 },
      { host: '::1', port: 7003 },
    ]);
  });

  it.each(['127.0.0.1', '127.0.0.1:', 'a:b', '127.0.0.1:99999', '127.0.0.1:7001;127.0.0.1:7002', ''])(
    'refuse a node that is not host:port (%s), naming it',
    (node) => {
      expect(() => redisClusterNodes({ REDIS_CLUSTER_NODES: `127.0.0.1:7000,${node}` })).toThrow(
        `REDIS_CLUSTER_NODES must list host:port pairs separated by commas; "${node}" is not one`,
      );
    },
  );

  it('are checked at start with the other Redis settings, one clear message each', () => {
    expect(redisSettingsProblem({})).toBeUndefined();
    expect(redisSettingsProblem({ REDIS_CLUSTER_NODES: '127.0.0.1:7001' })).toBeUndefined();
    expect(redisSettingsProblem({ REDIS_CLUSTER_NODES: '127.0.0.1:7001', REDIS_URL: 'redis://x:6379/2' })).toBe(
      'a Redis Cluster has only database 0: REDIS_URL must not name one',
    );
    expect(redisSettingsProblem({ REDIS_CLUSTER_NODES: 'nowhere' })).toMatch(/"nowhere" is not one/);
    expect(redisSettingsProblem({ QUEUE_PREFIX: 'plain' })).toMatch(/must start with a Redis hash tag/);
    expect(redisSettingsProblem({ REDIS_URL: 'http://x' })).toMatch(/must be redis:\/\/ or rediss:\/\//);
  });

  it('give a cluster client with the URL’s user, password and TLS for every node, and one shared queue client', () => {
    const env = { REDIS_CLUSTER_NODES: '127.0.0.1:7001', REDIS_URL: 'rediss://ops:pw@ignored:1' };
    const client = newRedisClient(env) as Cluster;
    const shared = queueConnection(env) as Cluster;
    try {
      expect(client.isCluster).toBe(true);
      expect(client.options.redisOptions).toMatchObject({ username: 'ops', password: 'pw', tls: {} });
      expect(queueConnection(env)).toBe(shared);
      expect(queueConnection({})).toEqual(redisConnection({}));
    } finally {
      // Nothing listens there: stop them trying.
      for (const c of [client, shared]) c.on('error', () => undefined).disconnect();
    }
  });
});
