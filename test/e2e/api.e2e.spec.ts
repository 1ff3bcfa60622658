import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';

/** Bad input gets a clear 4xx that names the problem; nothing is enqueued for it. */
describe('API validation and authentication', () => {
  let stack: Stack;
  let base: string;
  let auth: Record<string, string>;

  const call = async (
    method: string,
    path: string,
    body?: unknown,
    headers = auth,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions read any field of any answer
  ): Promise<{ status: number; body: any; type: string | null }> => {
    const res = await fetch(base + path, {
      method,
      headers,
      body: typeof body === 'string' ? body : body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json(), type: res.headers.get('content-type') };
  };

  beforeAll(async () => {
    stack = await startStack('api', 1);
    const creds = await enrollDatabase(stack, 'validation');
    base = `${stack.apiUrl}/v1/customers/${creds.customerId}/databases/${creds.databaseId}`;
    auth = { authorization: `Bearer ${creds.secret}`, 'content-type': 'application/json' };
    const reg = await call('PUT', '/tables/items', {
      columns: [
        { name: 'id', type: 'bigint' },
        { name: 'name', type: 'text' },
        { name: 'price', type: 'numeric' },
      ],
      key: ['id'],
    });
    expect(reg.status).toBe(200);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it.each([
    [
      'unknown table',
      'POST',
      '/tables/nope',
      { rows: { columns: ['id'], values: [['1']], versions: ['1'] } },
      404,
      /table "nope" is not registered for this database/,
    ],
    [
      'unknown column',
      'POST',
      '/tables/items',
      { rows: { columns: ['id', 'colour'], values: [['1'], ['red']], versions: ['1'] } },
      400,
      /column "colour" is not registered/,
    ],
    [
      'not a single value',
      'POST',
      '/tables/items',
      { rows: { columns: ['id', 'price'], values: [['1'], [{ n: 1 }]], versions: ['1'] } },
      400,
      /column "price" in row 0: \{"n":1\} is not a single value/,
    ],
    [
      'missing key column',
      'POST',
      '/tables/items',
      { rows: { columns: ['name'], values: [['x']], versions: ['1'] } },
      400,
      /key column "id" is missing/,
    ],
    [
      'ragged batch',
      'POST',
      '/tables/items',
      { rows: { columns: ['id', 'name'], values: [['1', '2'], ['x']], versions: ['1', '2'] } },
      400,
      /column "name" has 1 values but the batch has 2 versions/,
    ],
    [
      'version out of range',
      'POST',
      '/tables/items',
      { rows: { columns: ['id'], values: [['1']], versions: ['9223372036854775808'] } },
      400,
      /non-negative 64-bit integer/,
    ],
    ['malformed JSON', 'POST', '/tables/items', '{"rows": [', 400, /JSON|Unexpected|Expected/],
    [
      'bad table name',
      'GET',
      '/tables/bad-name',
      undefined,
      400,
      /invalid table name: must start with a letter or underscore and hold only letters, digits and underscores/,
    ],
    ['bad delete mode', 'DELETE', '/tables/items', { mode: 'everything' }, 400, /invalid request body: mode/],
    [
      'wrong key arity on delete',
      'DELETE',
      '/tables/items',
      { mode: 'keys', keys: [['1'], ['x']], versions: ['1'] },
      400,
      /has 1 key column\(s\) \(id\); the request gives 2 key array\(s\)/,
    ],
    [
      'key change',
      'PUT',
      '/tables/items',
      {
        columns: [
          { name: 'id', type: 'bigint' },
          { name: 'name', type: 'text' },
        ],
        key: ['name'],
      },
      409,
      /registered with key \(id\); changing it to \(name\) is refused/,
    ],
    [
      'type change',
      'PUT',
      '/tables/items',
      {
        columns: [
          { name: 'id', type: 'bigint' },
          { name: 'price', type: 'text' },
        ],
        key: ['id'],
      },
      409,
      /column "price" of table "items" is registered as numeric; changing it to text is refused/,
    ],
    ['unknown job', 'GET', '/jobs/upload.nope', undefined, 404, /job upload.nope does not exist for this database/],
  ])('%s', async (_name, method, path, body, status, message) => {
    const r = await call(method, path, body);
    expect([r.status, r.body.message]).toEqual([status, expect.stringMatching(message)]);
  });

  it('refuses oversized bodies with 413, by their declared length, before reading them', async () => {
    // Headers only, as a client that waits for "100 Continue" sends them: the answer comes without the body (a client
    // that pushes the whole body may see the connection close under it instead, by design: it is never read).
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(base + '/tables/items', {
        method: 'POST',
        headers: { ...auth, 'content-length': String(40 * 1024 * 1024), expect: '100-continue' },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).message).toMatch(/over this route's limit/);
  });

  it('needs a secret, and the admin API needs the admin token', async () => {
    expect((await call('GET', '/tables', undefined, {})).status).toBe(401);
    expect((await call('GET', '/tables', undefined, { authorization: 'Bearer wrong' })).status).toBe(403);
    const admin = await fetch(`${stack.apiUrl}/v1/admin/customers`, {
      method: 'POST',
      headers: { authorization: 'Bearer wrong', 'content-type': 'application/json' },
      body: '{"name":"x"}',
    });
    expect(admin.status).toBe(401);
  });

  it('answers version info for all tables in one call, with nothing pending and the refused definition shown', async () => {
    const r = await call('GET', '/tables');
    const items = {
      table: 'items',
      maxVersion: '0',
      appliedThrough: '0',
      rowCount: '0',
      lastModifiedAt: null,
      pendingJobs: 0,
      schemaError: expect.stringMatching(
        /column "price" of table "items" is registered as numeric; changing it to text is refused/,
      ),
      timeline: '0',
      backfillFrom: null,
      quarantined: 0,
    };
    expect(r.body).toEqual([items]);
    expect(r.type).toBe('application/json; charset=utf-8');
    const one = await call('GET', '/tables/items');
    expect([one.body, one.type]).toEqual([items, 'application/json; charset=utf-8']);
  });

  it('does not mount Bull Board without a password (fails closed)', async () => {
    expect((await fetch(`${stack.apiUrl}/admin/queues`)).status).toBe(404);
    expect((await fetch(`${stack.apiUrl}/admin/queues/api/queues`)).status).toBe(404);
  });

  it('refuses to start without an admin token', () => {
    const main = fileURLToPath(new URL('../../dist/apps/api/src/main.js', import.meta.url));
    const env = { ...process.env };
    delete env.ADMIN_TOKEN;
    const r = spawnSync(process.execPath, [main], { env, encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/ADMIN_TOKEN is not set/);
  });
});
