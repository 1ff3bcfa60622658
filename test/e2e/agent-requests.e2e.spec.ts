import type { AxiosInstance } from 'axios';
import Database from 'better-sqlite3';
import { startStack, type Stack } from '../../scripts/lib/stack.js';
import { passOverFirstTable, sampleSource, syncUntilEqual, type SampleSource } from '../support/agent.js';

/** What an agent's pass asks the API, request by request: a small change goes with as few as it needs. */
describe("the agent's requests", () => {
  let stack: Stack;
  let source: SampleSource;
  const routes: string[] = [];

  beforeAll(async () => {
    stack = await startStack('agent_requests', 1);
    source = await sampleSource(stack, 'requests', 2_000, [{ name: 'items', key: ['id'] }]);
    const http = (source.agent.api as unknown as { http: AxiosInstance }).http;
    http.interceptors.request.use((req) => {
      routes.push(`${req.method?.toUpperCase()} ${String(req.url).replace(/^.*\/databases\/[^/]+/, '')}`);
      return req;
    });
  });
  afterAll(async () => {
    await source?.close();
    await stack?.stop();
  });

  const change = (sql: string) => {
    const db = new Database(source.dbPath);
    db.exec(sql);
    db.close();
  };

  it('asks the batch-size tuning for a load, and not for a change smaller than any batch it advises', async () => {
    await syncUntilEqual(source.agent, source.differences);
    expect(routes).toContain('GET /tables/items/tuning');

    routes.length = 0;
    change(`UPDATE items SET name = 'changed' WHERE id <= 5; DELETE FROM items WHERE id = 6`);
    const small = await passOverFirstTable(source.agent);
    expect(small).toMatchObject({ uploaded: 5, deleted: 1 });
    expect(routes).not.toContain('GET /tables/items/tuning');
    expect(routes.filter((r) => r === 'POST /tables/items')).toHaveLength(1);

    // More changes than the smallest batch (TUNING_MIN_ROWS, 100): the size is asked for.
    routes.length = 0;
    change(`UPDATE items SET name = 'changed again' WHERE id <= 102`);
    expect((await passOverFirstTable(source.agent)).uploaded).toBe(101); // 102 less the one deleted
    expect(routes).toContain('GET /tables/items/tuning');
    await syncUntilEqual(source.agent, source.differences);
  });
});
