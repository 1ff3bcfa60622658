import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';

/** One database's flood of jobs is bounded; another database still gets its jobs in. */
describe('fair share', () => {
  let stack: Stack;
  beforeAll(async () => {
    // No workers: jobs stay waiting, so the bound is reached deterministically.
    stack = await startStack('fairshare', 0, { env: { TENANT_MAX_JOBS: '3' } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers 429 with Retry-After past the limit, for that database only', async () => {
    const busy = await enrollDatabase(stack, 'busy');
    const quiet = await enrollDatabase(stack, 'quiet');
    const upload = async (c: typeof busy) => {
      const base = `${stack.apiUrl}/v1/customers/${c.customerId}/databases/${c.databaseId}/tables/t`;
      const headers = { authorization: `Bearer ${c.secret}`, 'content-type': 'application/json' };
      await fetch(base, {
        method: 'PUT',
        headers,
        body: JSON.stringify({ columns: [{ name: 'id', type: 'bigint' }], key: ['id'] }),
      });
      return fetch(base, {
        method: 'POST',
        headers,
        body: JSON.stringify({ rows: { columns: ['id'], values: [['1']], versions: ['1'] } }),
      });
    };
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await upload(busy)).status);
    expect(statuses).toEqual([202, 202, 202]);
    const refused = await upload(busy);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(((await refused.json()) as { message: string }).message).toMatch(
      /already has 3 jobs waiting or running; retry later/,
    );
    expect((await upload(quiet)).status).toBe(202);
  });
});
