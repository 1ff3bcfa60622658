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
    const call = async (method: string, path: string, body?: unknown): Promise<any> => {
      const res = await fetch(base + path, {
        method,
        headers: { authorization: `Bearer ${creds.secret}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return res.json();
    };
    await call('PUT', '/tables/slow', { columns: [{ name: 'id', type: 'bigint' }], key: ['id'] });
    // Every insert statement into this table takes 2 seconds.
    const admin = new pg.Client({ connectionString: stack.databaseUrl });
    await admin.connect();
    await admin.query(`CREATE FUNCTION slow_down() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(2); RETURN NULL; END $$`);
    await admin.query(`CREATE TRIGGER slow BEFORE INSERT ON rowferry_data.slow FOR EACH STATEMENT EXECUTE FUNCTION slow_down()`);

    const { jobId } = await call('POST', '/tables/slow', { rows: { columns: ['id'], values: [['1', '2', '3']], versions: ['1', '2', '3'] }, range: { after: '0', upTo: '3' } });
    for (let i = 0; i < 100 && (await call('GET', `/jobs/${jobId}`)).state !== 'active'; i++) await new Promise((r) => setTimeout(r, 50));
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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
