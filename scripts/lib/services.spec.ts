import { Redis } from 'ioredis';
import pg from 'pg';
import { ensureServices, freePort, reachable } from './services.js';

describe('ensureServices', () => {
  it('keeps services that answer', async () => {
    const s = await ensureServices({ DATABASE_URL: process.env.DATABASE_URL, REDIS_URL: process.env.REDIS_URL });
    expect(s.env.DATABASE_URL).toBe(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/rowferry');
    await s.stop();
  });

  it('starts private PostgreSQL and Redis when nothing answers, and stops them', async () => {
    const [pgPort, redisPort] = [await freePort(), await freePort()];
    const s = await ensureServices({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${pgPort}/rowferry`,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    });
    try {
      expect(s.env.DATABASE_URL).not.toContain(`:${pgPort}/`);
      const client = new pg.Client({ connectionString: s.env.DATABASE_URL.replace('/rowferry', '/postgres') });
      await client.connect();
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await client.end();
      const redis = new Redis(s.env.REDIS_URL);
      expect(await redis.ping()).toBe('PONG');
      redis.disconnect();
    } finally {
      await s.stop();
    }
    const [pgHost, redisHost] = [new URL(s.env.DATABASE_URL), new URL(s.env.REDIS_URL)];
    expect(await reachable('127.0.0.1', Number(pgHost.port))).toBe(false);
    expect(await reachable('127.0.0.1', Number(redisHost.port))).toBe(false);
  });
});
