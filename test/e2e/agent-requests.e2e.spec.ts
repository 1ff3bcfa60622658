import type { Exchange } from '../../apps/agent/src/http-exchange.js';
import Database from 'better-sqlite3';
import { startStack, type Stack } from '../../scripts/lib/stack.js';
import { passOverFirstTable, sampleSource, syncUntilEqual, type SampleSource } from '../support/agent.js';

/** What an agent's pass asks the API, request by request: a small change goes with as few as it needs. */
describe("the agent's requests", () => {
  let stack: Stack;
  let source: SampleSource;
  const routes: string[] = [];
  /** Each request's sending and answer, in the order they happened. */
  const events: string[] = [];

  beforeAll(async () => {
    stack = await startStack('agent_requests', 1);
    source = await sampleSource(stack, 'requests', 2_000, [{ name: 'items', key: ['id'] }]);
    const route = (e: Exchange) => `${e.method} ${e.path.replace(/^.*\/databases\/[^/]+/, '').replace(/\?.*$/, '')}`;
    source.agent.api.http.observe((e) => {
      if (e.phase === 'sent') routes.push(route(e));
      events.push(`${e.phase} ${route(e)}`);
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

  it('asks for the version info while the marker is recorded: the first upload waits for two round trips, not three', async () => {
    await syncUntilEqual(source.agent, source.differences);
    events.length = 0;
    change(`UPDATE items SET name = 'marked' WHERE id <= 3`);
    expect((await passOverFirstTable(source.agent)).uploaded).toBe(3);
    const at = (event: string) => events.indexOf(event);
    expect(at('sent POST /markers')).toBeGreaterThan(-1);
    expect(at('sent GET /tables')).toBeLessThan(at('answered GET /tables'));
    // Both in flight at once: the marker is sent before the version info has come back.
    expect(at('sent POST /markers')).toBeLessThan(at('answered GET /tables'));
    expect(at('sent POST /tables/items')).toBeGreaterThan(
      Math.max(at('answered GET /tables'), at('answered POST /markers')),
    );
  });

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
