import { createServer, request, type Server } from 'node:http';
import type { JobId } from '#contracts';
import { ApiClient, ApiRefusedError, ApiUnavailableError, pieces } from './api-client.js';

const creds = { customerId: 'c', databaseId: 'd', secret: 's' };
const fast = { attempts: 4, firstDelayMs: 5, maxDelayMs: 20 };

/** A real HTTP server that answers from a script of (status, body, headers). */
async function scriptedServer(script: [number, unknown, Record<string, string>?][]) {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization}`);
    const [status, body, headers] = script[Math.min(seen.length - 1, script.length - 1)];
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { url, seen, close: () => new Promise((r) => server.close(r)) };
}

describe('ApiClient retries', () => {
  it('retries 5xx and 429 (honouring Retry-After), then succeeds', async () => {
    const s = await scriptedServer([
      [503, { message: 'down' }],
      [429, { message: 'slow down' }, { 'retry-after': '0' }],
      [200, [{ table: 't' }]],
    ]);
    const api = new ApiClient(s.url, creds, fast);
    expect(await api.allVersionInfo()).toEqual([{ table: 't' }]);
    expect(s.seen).toEqual(Array(3).fill('GET /v1/customers/c/databases/d/tables Bearer s'));
    await s.close();
  });

  it('does not retry a refusal (4xx) and says what the API said', async () => {
    const s = await scriptedServer([[400, { message: 'table "t": column "x" is not registered' }]]);
    const api = new ApiClient(s.url, creds, fast);
    const err = await api.upload('t', { rows: { columns: ['x'], values: [[1]], versions: ['1'] } }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiRefusedError);
    expect(err.message).toMatch(/→ 400: table "t": column "x" is not registered/);
    expect(s.seen).toHaveLength(1);
    await s.close();
  });

  it('gives up with ApiUnavailableError when nothing answers, without crashing', async () => {
    const s = await scriptedServer([[200, {}]]);
    await s.close(); // the port is now closed
    const api = new ApiClient(s.url, creds, fast);
    const err = await api.versionInfo('t').catch((e) => e);
    expect(err).toBeInstanceOf(ApiUnavailableError);
    expect(err.message).toMatch(/failed 4 times; last: .*ECONNREFUSED/);
  });

  it('reports a failed job with the worker reason', async () => {
    const s = await scriptedServer([
      [200, { jobId: 'j', state: 'active', attemptsMade: 0 }],
      [200, { jobId: 'j', state: 'failed', attemptsMade: 8, error: 'upload was refused by PostgreSQL: boom' }],
    ]);
    const api = new ApiClient(s.url, creds, fast);
    await expect(api.waitForJob('j' as JobId<'upload'>)).rejects.toThrow(
      'job j failed after 8 attempt(s): upload was refused by PostgreSQL: boom',
    );
    await s.close();
  });
});

describe('ApiClient with tables synced under another name', () => {
  it('sends the cloud name in paths and answers with local names only', async () => {
    const s = await scriptedServer([
      [200, [{ table: 'tags_v2' }, { table: 'tags' }, { table: 'items' }]],
      [200, { table: 'tags_v2', maxVersion: '5' }],
    ]);
    const api = new ApiClient(s.url, creds, fast, new Map([['tags', 'tags_v2']]));
    // The cloud's old "tags" (not this agent's any more) is left out; "tags_v2" is the local "tags".
    expect(await api.allVersionInfo()).toEqual([{ table: 'tags' }, { table: 'items' }]);
    expect(await api.versionInfo('tags')).toEqual({ table: 'tags', maxVersion: '5' });
    expect(s.seen).toEqual([
      'GET /v1/customers/c/databases/d/tables Bearer s',
      'GET /v1/customers/c/databases/d/tables/tags_v2 Bearer s',
    ]);
    await s.close();
  });
});

describe('large bodies go out in pieces', () => {
  it('pieces join back to the text and never part a surrogate pair', () => {
    const texts = ['', 'a', 'abc', '😀', 'a😀', '😀😀😀', 'x'.repeat(10) + '😀'.repeat(7) + 'é'.repeat(5)];
    for (const text of texts)
      for (const size of [2, 3, 4, 5, 8]) {
        const parts = [...pieces(text, size)];
        expect(parts.join('')).toBe(text);
        for (const part of parts) {
          expect(part.length).toBeGreaterThan(0);
          expect(Buffer.from(part, 'utf8').toString('utf8')).toBe(part); // no lone half, no U+FFFD
        }
      }
  });

  it('an upload of megabytes with characters beyond the BMP arrives whole, its length declared, not chunked', async () => {
    let received: { headers: Record<string, unknown>; body: string } | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ jobId: 'j' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const api = new ApiClient(`http://127.0.0.1:${(server.address() as { port: number }).port}`, creds, fast);
    // Mostly emoji (two UTF-16 units each): piece boundaries fall inside pairs.
    const values = Array.from({ length: 60_000 }, (_, i) => `${'é'.repeat(i % 3)}${'😀'.repeat(1 + (i % 4))}`);
    const request = { rows: { columns: ['x'], values: [values], versions: values.map((_, i) => String(i + 1)) } };
    await api.upload('t', request);
    server.close();
    const text = JSON.stringify(request);
    expect(text.length).toBeGreaterThan(20 * 32 * 1024); // twenty pieces and more
    expect(received!.headers['content-length']).toBe(String(Buffer.byteLength(text)));
    expect(received!.headers['transfer-encoding']).toBeUndefined();
    expect(JSON.parse(received!.body)).toEqual(request);
    expect(api.traffic.sent).toBe(Buffer.byteLength(text));
  });
});

describe('ApiClient over the network as it is', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of ['HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy']) delete process.env[k];
    Object.assign(process.env, saved);
  });

  /** A forwarding HTTP proxy: takes absolute-URI requests, passes them on, counts them. */
  async function forwardingProxy() {
    const forwarded: string[] = [];
    const proxy = createServer((req, res) => {
      forwarded.push(`${req.method} ${req.url}`);
      const target = new URL(req.url!);
      const upstream = request(target, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    return { url, forwarded, close: () => new Promise((r) => proxy.close(r)) };
  }

  it('goes through the proxy HTTP_PROXY names, and around it where NO_PROXY says', async () => {
    const s = await scriptedServer([[200, [{ table: 't' }]]]);
    const proxy = await forwardingProxy();
    process.env.HTTP_PROXY = proxy.url;
    expect(await new ApiClient(s.url, creds, fast).allVersionInfo()).toEqual([{ table: 't' }]);
    expect(proxy.forwarded).toEqual([`GET ${s.url}/v1/customers/c/databases/d/tables`]);
    process.env.NO_PROXY = '127.0.0.1';
    expect(await new ApiClient(s.url, creds, fast).allVersionInfo()).toEqual([{ table: 't' }]);
    expect(proxy.forwarded).toHaveLength(1);
    expect(s.seen).toHaveLength(2);
    await proxy.close();
    await s.close();
  });

  it('does not follow a redirect: a refusal naming where it pointed, not retried', async () => {
    const s = await scriptedServer([[301, {}, { location: 'https://elsewhere.example/v1' }]]);
    const err = await new ApiClient(s.url, creds, fast).allVersionInfo().catch((e) => e);
    expect(err).toBeInstanceOf(ApiRefusedError);
    expect(err.message).toMatch(/→ 301: the API answered with a redirect to https:\/\/elsewhere\.example\/v1/);
    expect(s.seen).toHaveLength(1);
    await s.close();
  });

  it('keeps a path in the API URL, and tells observers of each request sent, answered or failed', async () => {
    const s = await scriptedServer([[200, []]]);
    const api = new ApiClient(`${s.url}/rowferry/`, creds, fast);
    const seen: string[] = [];
    api.http.observe((e) => seen.push(`${e.phase} ${e.status ?? ''}`.trim()));
    api.http.observe(() => {
      throw new Error('an observer that fails');
    });
    await api.allVersionInfo();
    expect(s.seen).toEqual(['GET /rowferry/v1/customers/c/databases/d/tables Bearer s']);
    await s.close();
    await api.allVersionInfo().catch(() => undefined);
    expect(seen.slice(0, 4)).toEqual(['sent', 'answered 200', 'sent', 'failed']);
  });
});
