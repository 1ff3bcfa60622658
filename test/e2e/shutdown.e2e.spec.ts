import { Agent, request } from 'node:http';
import pg from 'pg';
import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';

/** SIGTERM to a worker in the middle of a job: the job finishes, nothing is lost. */
describe('graceful worker shutdown', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('shutdown', 1);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('lets the active job finish before the worker exits', async () => {
    const creds = await enrollDatabase(stack, 'slow');
    const base = `${stack.apiUrl}/v1/customers/${creds.customerId}/databases/${creds.databaseId}`;
    const call = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
      const res = await fetch(base + path, {
        method,
        headers: { authorization: `Bearer ${creds.secret}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return (await res.json()) as Record<string, unknown>;
    };
    await call('PUT', '/tables/slow', { columns: [{ name: 'id', type: 'bigint' }], key: ['id'] });
    // Every insert statement into this table takes 2 seconds.
    const admin = new pg.Client({ connectionString: stack.databaseUrl });
    await admin.connect();
    await admin.query(
      `CREATE FUNCTION slow_down() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(2); RETURN NULL; END $$`,
    );
    await admin.query(
      `CREATE TRIGGER slow BEFORE INSERT ON rowferry_data.slow FOR EACH STATEMENT EXECUTE FUNCTION slow_down()`,
    );

    const { jobId } = await call('POST', '/tables/slow', {
      rows: { columns: ['id'], values: [['1', '2', '3']], versions: ['1', '2', '3'] },
      range: { after: '0', upTo: '3' },
    });
    for (let i = 0; i < 100 && (await call('GET', `/jobs/${jobId}`)).state !== 'active'; i++)
      await new Promise((r) => setTimeout(r, 50));
    const worker = stack.pids[1];
    process.kill(worker, 'SIGTERM');
    const stoppedAt = Date.now();
    while (alive(worker)) await new Promise((r) => setTimeout(r, 50));
    expect(Date.now() - stoppedAt).toBeGreaterThan(500); // it waited for the job rather than dying at once

    expect(await call('GET', `/jobs/${jobId}`)).toMatchObject({ state: 'completed', result: { applied: 3 } });
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM rowferry_data.slow`);
    expect(rows[0].n).toBe(3);
    await admin.end();
  });
});

describe('graceful API shutdown', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('api_shutdown', 1);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** One request over a shared keep-alive agent, as rowferry-agent makes them. */
  const get = (agent: Agent, path: string, auth: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(`${stack.apiUrl}${path}`, { agent, headers: { authorization: `Bearer ${auth}` } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      });
      req.on('error', reject);
      req.end();
    });

  it('exits promptly on SIGTERM while agents hold keep-alive connections, finishing the request under way', async () => {
    const creds = await enrollDatabase(stack, 'keepalive');
    const path = `/v1/customers/${creds.customerId}/databases/${creds.databaseId}/tables`;
    // Several agents with open, idle keep-alive connections, and one that keeps polling.
    const agents = Array.from({ length: 5 }, () => new Agent({ keepAlive: true }));
    for (const a of agents) expect(await get(a, path, creds.secret)).toBe(200);
    let polling = true;
    const statuses: (number | string)[] = [];
    const poller = (async () => {
      while (polling) statuses.push(await get(agents[0], path, creds.secret).catch((e) => String(e.code ?? e)));
    })();
    await new Promise((r) => setTimeout(r, 200));
    const api = stack.pids[0];
    const stoppedAt = Date.now();
    process.kill(api, 'SIGTERM');
    while (alive(api) && Date.now() - stoppedAt < 15_000) await new Promise((r) => setTimeout(r, 50));
    polling = false;
    await poller;
    agents.forEach((a) => a.destroy());
    expect(alive(api)).toBe(false);
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    // Every request either completed or was refused a connection; none was cut off half way with a 5xx.
    expect(statuses.filter((s) => typeof s === 'number' && s !== 200)).toEqual([]);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
