import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { SyncAgent } from '../../apps/agent/src/agent.js';
import { compareTable } from '../../scripts/lib/compare.js';
import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';
import { configuredAgent } from '../../scripts/lib/agent-config.js';
import { AGENT_CLI } from '../support/agent-cli.js';

const BOARD_PASSWORD = 'board-password-for-tests';

/** Real poison from a real SQLite file: the rest of the table arrives, the bad rows wait in quarantine, fixes sync. */
describe('poison rows, quarantine, skip ahead, and Bull Board', () => {
  let stack: Stack;
  let dir: string;
  let dbPath: string;
  let creds: { customerId: string; databaseId: string; secret: string };
  let agent: SyncAgent;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const api = async (method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<any> => {
    const res = await fetch(stack.apiUrl + path, {
      method,
      headers: headers ?? { authorization: `Bearer ${creds.secret}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const base = () => `/v1/customers/${creds.customerId}/databases/${creds.databaseId}`;
  const board = {
    authorization: `Basic ${Buffer.from(`ops:${BOARD_PASSWORD}`).toString('base64')}`,
    'content-type': 'application/json',
  };
  const quarantine = async () =>
    (await api('GET', `${base()}/tables/people/quarantine`)).body.rows as {
      id: string;
      rowKey: string;
      error: string;
      attempts: number;
      row: Record<string, unknown>;
    }[];
  const differences = () => compareTable(dbPath, stack.databaseUrl, creds.databaseId, 'people', ['id']);

  async function cycles(n: number) {
    for (let i = 0; i < n; i++) {
      const r = await agent.cycle();
      const failed = r.tables.filter((t) => 'error' in t);
      if (failed.length) throw new Error(JSON.stringify(failed));
    }
  }

  beforeAll(async () => {
    stack = await startStack('poison', 2, { env: { BULL_BOARD_PASSWORD: BOARD_PASSWORD } });
    dir = mkdtempSync(join(tmpdir(), 'rowferry-poison-'));
    dbPath = join(dir, 'people.db');
    const db = new Database(dbPath);
    db.exec(`CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, code VARCHAR(10), born DATE, score INTEGER)`);
    const insert = db.prepare('INSERT INTO people (id, name, code, born, score) VALUES (?, ?, ?, ?, ?)');
    db.transaction(() => {
      for (let i = 1; i <= 5000; i++) insert.run(i, `person ${i}`, `C${i}`, '1990-01-01', i);
    })();
    insert.run(5001, `nul${String.fromCharCode(0)}inside`, 'ok', '1990-01-01', 1); // PostgreSQL text cannot hold NUL
    insert.run(5002, 'too big', 'ok', '1990-01-01', 1e20); // SQLite keeps it (as a REAL): out of bigint's range
    insert.run(5003, 'impossible date', 'ok', '2023-02-30', 1);
    insert.run(5004, 'long code', 'x'.repeat(25), '1990-01-01', 1); // SQLite ignores VARCHAR(10); PostgreSQL does not
    for (let i = 5005; i <= 6000; i++) insert.run(i, `person ${i}`, `C${i}`, '1990-01-01', i);
    db.close();
    creds = await enrollDatabase(stack, 'poison');
    agent = configuredAgent(stack, dir, creds, {
      source: { type: 'sqlite', path: 'people.db' },
      tables: [{ name: 'people' }],
      sliceRows: 2000,
    });
    await agent.source.installTracking([{ name: 'people' }]);
  });

  afterAll(async () => {
    await agent?.close();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('syncs the rest of the table and quarantines each poison row with the database message', async () => {
    await cycles(2);
    const q = await quarantine();
    expect(q.map((r) => r.rowKey).sort()).toEqual(['["5001"]', '["5002"]', '["5003"]', '["5004"]']);
    const byKey = Object.fromEntries(q.map((r) => [r.rowKey, r.error]));
    expect(byKey['["5001"]']).toMatch(/\\u0000 cannot be converted to text/);
    expect(byKey['["5002"]']).toMatch(/out of range for type bigint/);
    expect(byKey['["5003"]']).toMatch(/date\/time field value out of range: "2023-02-30"/);
    expect(byKey['["5004"]']).toMatch(/value too long for type character varying\(10\)/);
    expect(q.find((r) => r.rowKey === '["5004"]')!.row).toMatchObject({ id: '5004', code: 'x'.repeat(25) }); // the row as sent
    // Everything else arrived and the table moved past them.
    expect((await differences()).map((d) => d.slice(0, d.indexOf(':'))).sort()).toEqual([
      'people ["5001"]',
      'people ["5002"]',
      'people ["5003"]',
      'people ["5004"]',
    ]);
    const info = (await api('GET', `${base()}/tables/people`)).body;
    expect(info).toMatchObject({ rowCount: '5996', appliedThrough: '6000', pendingJobs: 0 });
  });

  it('does not resend quarantined rows on every pass of the difference check', async () => {
    await cycles(4); // two full rounds of the 3-slice check
    expect((await quarantine()).map((r) => r.attempts)).toEqual([1, 1, 1, 1]);
  });

  it('rowferry-agent status never says equal while rows wait in the quarantine', () => {
    const cli = AGENT_CLI;
    const status = (...args: string[]) =>
      execFileSync(process.execPath, [cli, 'status', '-c', join(dir, 'agent.json'), ...args], { encoding: 'utf8' });
    expect(JSON.parse(status('--json'))).toEqual([
      expect.objectContaining({
        table: 'people',
        state: 'quarantine',
        reason: '4 row(s) refused by the cloud wait in the quarantine',
        quarantined: 4,
      }),
    ]);
    expect(status()).toMatch(
      /^people\s+quarantine\s.*\n\npeople: 4 row\(s\) refused by the cloud wait in the quarantine$/m,
    );
  });

  it('shows the rows to ops across tenants and records the partial batches', async () => {
    const admin = await api('GET', '/v1/admin/quarantine?limit=10', undefined, {
      authorization: `Bearer ${stack.adminToken}`,
    });
    expect(admin.body.rows).toHaveLength(4);
    const history = (await api('GET', `${base()}/tables/people/batches?limit=100`)).body.batches as {
      outcome: string;
      quarantined: number;
    }[];
    expect(history.filter((b) => b.outcome === 'partial').reduce((n, b) => n + b.quarantined, 0)).toBe(4);
    const tuning = (await api('GET', `${base()}/tables/people/tuning`)).body;
    expect(tuning).toMatchObject({ rows: expect.any(Number), reason: expect.any(String), settings: { minRows: 100 } });
  });

  it('syncs each row once it is fixed locally, and the quarantine empties', async () => {
    const db = new Database(dbPath);
    db.exec(`UPDATE people SET name = 'nul removed' WHERE id = 5001;
             UPDATE people SET score = 42 WHERE id = 5002;
             UPDATE people SET born = '2023-02-28' WHERE id = 5003;
             UPDATE people SET code = 'short' WHERE id = 5004;`);
    db.close();
    await cycles(1);
    expect(await quarantine()).toEqual([]);
    expect(await differences()).toEqual([]);
  });

  it('retrying a quarantined row sends it again as it was (and it is quarantined again if still bad)', async () => {
    const db = new Database(dbPath);
    db.exec(`UPDATE people SET born = '2023-13-01' WHERE id = 10`);
    db.close();
    await cycles(1);
    const [entry] = await quarantine();
    const retried = await api('POST', `${base()}/tables/people/quarantine/${entry.id}/retry`);
    expect(retried.status).toBe(202);
    await agent.api.waitForJob(retried.body.jobId);
    expect((await quarantine()).map((r) => [r.rowKey, r.attempts])).toEqual([['["10"]', 2]]);
  });

  it('a quarantined row does not shield its key: deleted locally, the remote row and the entry go', async () => {
    expect((await quarantine()).map((r) => r.rowKey)).toEqual(['["10"]']);
    const db = new Database(dbPath);
    db.exec(`DELETE FROM people WHERE id = 10`);
    db.close();
    await cycles(4); // a whole round of the 3-slice difference check
    expect(await quarantine()).toEqual([]);
    expect(await differences()).toEqual([]);
  });

  it('Bull Board needs the ops password, shows a failed batch with what to act on, and retrying it from the board is safe', async () => {
    expect((await fetch(`${stack.apiUrl}/admin/queues/api/queues`)).status).toBe(401);
    const admin = new pg.Client({ connectionString: stack.databaseUrl });
    await admin.connect();
    // The statement cannot run at all (no privilege): the job fails at once, rows untouched.
    await admin.query(`REVOKE INSERT ON rowferry_data.people FROM rowferry_tenant`);
    const up = await api('POST', `${base()}/tables/people`, {
      rows: {
        columns: ['id', 'name'],
        values: [
          ['7001', '7002'],
          ['a', 'b'],
        ],
        versions: ['7001', '7002'],
      },
    });
    await expect(agent.api.waitForJob(up.body.jobId)).rejects.toThrow(/permission denied/);
    // A batch of two rows runs in the express lane: its job id names the queue.
    const queue = (up.body.jobId as string).split('.')[0];
    expect(queue).toBe('upload-express');
    const failed = (
      await api('GET', `/admin/queues/api/queues?activeQueue=${queue}&status=failed`, undefined, board)
    ).body.queues.find((q: { name: string }) => q.name === queue);
    const job = failed.jobs.find((j: { id: string }) => up.body.jobId.endsWith(j.id));
    expect(job.name).toMatch(/^upload people: 2 rows, repair, database [0-9a-f-]{36} \(customer [0-9a-f-]{36}\)$/);
    expect(job.failedReason).toMatch(/upload of 2 rows to "people" was refused by PostgreSQL: permission denied/);
    expect(JSON.stringify(job.data)).not.toContain(creds.secret);
    expect(job.data).toMatchObject({ tenant: { databaseId: creds.databaseId }, table: 'people' });

    await admin.query(`GRANT INSERT ON rowferry_data.people TO rowferry_tenant`);
    const retry = () => api('PUT', `/admin/queues/api/queues/${queue}/${job.id}/retry`, undefined, board);
    expect((await retry()).status).toBeLessThan(300);
    await agent.api.waitForJob(up.body.jobId);
    // A completed job retried again has nothing to apply (its rows left Redis once its result was read): it says so.
    expect((await retry()).status).toBeLessThan(300);
    await expect(agent.api.waitForJob(up.body.jobId)).rejects.toThrow(/nothing to do: this job completed/);
    const { rows } = await admin.query(`SELECT id::int, name FROM rowferry_data.people WHERE id > 7000 ORDER BY id`);
    expect(rows).toEqual([
      { id: 7001, name: 'a' },
      { id: 7002, name: 'b' },
    ]);
    await admin.end();
  });
});
