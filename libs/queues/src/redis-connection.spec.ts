import { queuePrefix, redisConnection } from './redis-connection.js';

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
