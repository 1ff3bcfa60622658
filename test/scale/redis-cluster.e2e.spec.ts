import Database from 'better-sqlite3';
import type { Cluster } from 'ioredis';
import { Redis } from 'ioredis';
import { newRedisClient, primaries, redisConnection } from '#queues';
import { startRedisCluster, type RedisClusterProcesses } from '../../scripts/lib/redis-cluster.js';
import { SAMPLE_TABLES } from '../../scripts/lib/sample-sqlite.js';
import { startStack, type Stack } from '../../scripts/lib/stack.js';
import { call } from '../security/support.js';
import { sampleSource, syncUntilEqual, type SampleSource } from '../support/agent.js';

/** Two of the sample's tables, one keyed by an integer and one by two: enough for these scenarios. */
const TABLES = SAMPLE_TABLES.filter((t) => t.name !== 'tags');

/**
 * The queues on a 3-node Redis Cluster (REDIS_CLUSTER_NODES): BullMQ's keys, the fair share's counters and the pending
 * sets all live under the prefix's hash tag, so every multi-key command and script stays in one slot.
 */
describe('sync through a Redis Cluster', () => {
  let cluster: RedisClusterProcesses;
  let stack: Stack;
  let source: SampleSource;

  beforeAll(async () => {
    const started = await startRedisCluster(3);
    if (!started)
      throw new Error('redis-server and redis-cli are needed for this test (Debian: redis-server, redis-tools)');
    cluster = started;
    stack = await startStack('redis_cluster', 2, { env: { REDIS_CLUSTER_NODES: cluster.nodes } });
    source = await sampleSource(stack, 'clustered', 20_000, TABLES, { batchRows: 2000 });
  });
  afterAll(async () => {
    await source?.close();
    await stack?.stop();
    await cluster?.stop();
  });

  it('loads, then syncs changes and deletes (in the middle and of the newest rows) exactly', async () => {
    await syncUntilEqual(source.agent, source.differences);
    const db = new Database(source.dbPath);
    try {
      db.exec(`UPDATE items SET name = name || ' (new)' WHERE id % 97 = 0;
               INSERT INTO items (id, name, price, qty, ratio, photo) VALUES (900001, 'fresh', 1.5, 1, 0.5, x'00');
               DELETE FROM items WHERE id BETWEEN 5000 AND 5099;
               DELETE FROM order_lines WHERE order_id = 7;`);
      db.exec(`DELETE FROM items WHERE id = (SELECT max(id) FROM items)`);
    } finally {
      db.close();
    }
    await syncUntilEqual(source.agent, source.differences);
    expect(await source.differences()).toEqual([]);
  });

  it('keeps every key on the cluster, in the one slot of the prefix, and none on the plain Redis', async () => {
    const client = newRedisClient(stack.env) as Cluster;
    const plain = new Redis(redisConnection({}));
    try {
      const keys: string[] = [];
      for (const node of await primaries(client)) keys.push(...(await node.keys(`${stack.env.QUEUE_PREFIX}:*`)));
      expect(keys.length).toBeGreaterThan(10);
      expect(keys.some((k) => k.includes(':upload:') || k.includes(':upload-express:'))).toBe(true);
      expect(keys).toContain(`${stack.env.QUEUE_PREFIX}:agents-seen`); // rowferry's own, beside BullMQ's
      const slots = new Set(await Promise.all(keys.map((k) => client.cluster('KEYSLOT', k))));
      expect(slots.size).toBe(1);
      expect(await plain.keys(`${stack.env.QUEUE_PREFIX}:*`)).toEqual([]);
    } finally {
      client.disconnect();
      plain.disconnect();
    }
  });

  it("reports the cluster's memory in the admin's health answer", async () => {
    const health = await call(stack, 'GET', '/health', { secret: stack.adminToken });
    expect(health.status).toBe(200);
    expect(health.body.info.redis.usedMemoryBytes).toBeGreaterThan(3 * 500_000); // three servers' worth
  });
});
