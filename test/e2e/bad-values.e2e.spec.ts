import Database from 'better-sqlite3';
import type { JobId } from '#contracts';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SyncAgent } from '../../apps/agent/src/agent.js';
import { loadAgentConfig } from '../../apps/agent/src/config.js';
import { compareTable } from '../../scripts/lib/compare.js';
import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';
import { configuredAgent } from '../../scripts/lib/agent-config.js';

const TABLES = [
  { name: 'flags', key: ['id'] },
  { name: 'codes', key: ['code'] },
];

/**
 * One odd value must never stall a table (docs/sync-model.md, A bad row is the row's problem): a SQLite BOOLEAN holding
 * 'yes', a NULL in a TEXT primary key, a key too long for PostgreSQL to index, JSON nested too deep, rows with rowid ≤
 * 0. Each bad row is quarantined with its reason wherever it is noticed (API or worker); everything else syncs, and the
 * difference check runs clean.
 */
describe('bad values are the row’s problem, not the table’s', () => {
  let stack: Stack;
  let dir: string;
  let dbPath: string;
  let creds: { customerId: string; databaseId: string; secret: string };
  let agent: SyncAgent;
  const longKey = randomBytes(4000).toString('base64'); // incompressible: PostgreSQL cannot index it (54000)
  const base = () => `${stack.apiUrl}/v1/customers/${creds.customerId}/databases/${creds.databaseId}`;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const api = async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await fetch(base() + path, {
      method,
      headers: { authorization: `Bearer ${creds.secret}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  const quarantine = async (table: string) =>
    ((await api('GET', `/tables/${table}/quarantine`)).body.rows as { rowKey: string; error: string }[]).sort((a, b) =>
      a.rowKey.localeCompare(b.rowKey),
    );
  const differences = async () =>
    (await Promise.all(TABLES.map((t) => compareTable(dbPath, stack.databaseUrl, creds.databaseId, t.name, t.key))))
      .flat()
      .map((d) => d.slice(0, 60));

  beforeAll(async () => {
    stack = await startStack('bad_values');
    dir = mkdtempSync(join(tmpdir(), 'rowferry-bad-values-'));
    dbPath = join(dir, 'odd.db');
    const db = new Database(dbPath);
    db.exec(`CREATE TABLE flags (id INTEGER PRIMARY KEY, ok BOOLEAN, note TEXT);
             CREATE TABLE codes (code TEXT PRIMARY KEY, label TEXT);`);
    const flag = db.prepare('INSERT INTO flags VALUES (?, ?, ?)');
    const code = db.prepare('INSERT INTO codes VALUES (?, ?)');
    db.transaction(() => {
      for (const id of [-7, -1, 0]) flag.run(id, 1, `rowid ${id}`);
      for (let i = 1; i <= 3000; i++) flag.run(i, i % 2, i === 1500 ? 'says yes' : null);
      for (let i = 1; i <= 3000; i++) code.run(`c${i}`, `label ${i}`);
      code.run(null, 'no key at all');
      code.run(longKey, 'a key too long to index');
    })();
    db.exec(`UPDATE flags SET ok = 'yes' WHERE id = 1500`);
    db.close();
    creds = await enrollDatabase(stack, 'odd');
    agent = configuredAgent(stack, dir, creds, {
      source: { type: 'sqlite', path: 'odd.db' },
      tables: TABLES,
      batchRows: 1000,
      sliceRows: 1000,
    });
    await agent.source.installTracking(TABLES);
  });

  afterAll(async () => {
    await agent?.close();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('quarantines each bad row with its reason and syncs the rest, rows with rowid ≤ 0 included', async () => {
    for (let i = 0; i < 6; i++) {
      const report = await agent.cycle();
      expect(report.tables.filter((t) => 'error' in t)).toEqual([]);
    }
    const flags = await quarantine('flags');
    expect(flags.map((q) => q.rowKey)).toEqual(['["1500"]']);
    expect(flags[0].error).toMatch(/column "ok" \(boolean\): expected true or false, got "yes"/);
    const codes = await quarantine('codes');
    expect(codes.map((q) => q.rowKey)).toEqual([JSON.stringify([longKey]), '[null]']);
    expect(codes[0].error).toMatch(/index row (size|requires)|SQLSTATE 54000/);
    expect(codes[1].error).toMatch(/key column "code" is NULL/);
    const expected = [
      'codes ["null"]: local ["null","no key at all"] remote (missing)',
      `codes ${JSON.stringify([longKey])}`,
      'flags ["1500"]: local ["1500","yes","says yes"] remote (missing)',
    ];
    expect((await differences()).sort()).toEqual(expected.map((d) => d.slice(0, 60)).sort());
    const info = (await api('GET', '/tables')).body as { table: string; rowCount: string; pendingJobs: number }[];
    expect(info.map((i) => [i.table, i.rowCount])).toEqual([
      ['codes', '3000'],
      ['flags', '3002'],
    ]);
  });

  it('fixed locally, the rows sync and leave the quarantine', async () => {
    const db = new Database(dbPath);
    db.exec(
      `UPDATE flags SET ok = 1 WHERE id = 1500; UPDATE codes SET code = 'was null' WHERE code IS NULL; DELETE FROM codes WHERE length(code) > 1000;`,
    );
    db.close();
    for (let i = 0; i < 5; i++) await agent.cycle();
    expect(await quarantine('flags')).toEqual([]);
    expect(await differences()).toEqual([]);
  });

  it('a JSON value nested too deep for PostgreSQL is quarantined, the rest of the batch applies', async () => {
    expect(
      (
        await api('PUT', '/tables/docs', {
          columns: [
            { name: 'id', type: 'bigint' },
            { name: 'doc', type: 'json' },
          ],
          key: ['id'],
        })
      ).status,
    ).toBe(200);
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    const up = await api('POST', '/tables/docs', {
      rows: {
        columns: ['id', 'doc'],
        values: [
          ['1', '2', '3'],
          ['{"a":1}', deep, '[]'],
        ],
        versions: ['1', '2', '3'],
      },
      range: { after: '0', upTo: '3' },
    });
    expect(up.status).toBe(202);
    expect(await agent.api.waitForJob(up.body.jobId)).toMatchObject({ applied: 2, quarantined: 1 });
    const [q] = await quarantine('docs');
    expect(q).toMatchObject({ rowKey: '["2"]', error: expect.stringMatching(/SQLSTATE 54001/) });
  });

  it('a JSON number JavaScript cannot hold as written is quarantined, never stored rounded or as NULL', async () => {
    const def = {
      columns: [
        { name: 'id', type: 'bigint' },
        { name: 'big', type: 'bigint' },
        { name: 'd', type: 'double' },
        { name: 'n', type: 'numeric' },
      ],
      key: ['id'],
    };
    expect((await api('PUT', '/tables/nums', def)).status).toBe(200);
    // Written by hand: JSON.stringify could not write these numbers. 2^53 + 1 rounds to 2^53 in JavaScript, 1e400 to
    // Infinity (which JSON.stringify writes as null).
    const body = `{"rows":{"columns":["id","big","d","n"],"values":[
      ["1","2","3","4","5"],
      [9007199254740993,1,1,-9007199254740991,1],
      [1.5,1e400,2.5,"-Infinity",1e300],
      [1,1,1,1,12345678901234567890]
    ],"versions":["1","2","3","4","5"]},"range":{"after":"0","upTo":"5"}}`;
    const res = await fetch(`${base()}/tables/nums`, {
      method: 'POST',
      headers: { authorization: `Bearer ${creds.secret}`, 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: JobId<'upload'> };
    expect(await agent.api.waitForJob(jobId)).toMatchObject({ applied: 2, quarantined: 3 });
    expect((await quarantine('nums')).map((q) => [q.rowKey, q.error])).toEqual([
      ['["1"]', expect.stringMatching(/column "big" \(bigint\).*9007199254740992/)],
      ['["2"]', expect.stringMatching(/column "d" \(double\).*Infinity/)],
      ['["5"]', expect.stringMatching(/column "n" \(numeric\).*12345678901234567000/)],
    ]);
    const remote = new pg.Client({ connectionString: stack.databaseUrl });
    await remote.connect();
    const { rows: stored } = await remote
      .query<{ id: string; big: string; d: number; n: string }>(
        `SELECT id::text, big::text, d, n::text FROM rowferry_data.nums WHERE _rf_database = $1 ORDER BY id`,
        [creds.databaseId],
      )
      .finally(() => remote.end());
    expect(stored.map((r) => [r.id, r.big, r.d, r.n])).toEqual([
      ['3', '1', 2.5, '1'],
      ['4', '-9007199254740991', -Infinity, '1'],
    ]);
  });

  it('a MariaDB TINYINT(1) holding 2 is quarantined with its reason; the rest of the table syncs', async () => {
    const server = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
    const name = `rowferry_bad_${randomBytes(4).toString('hex')}`;
    const admin = await mysql.createConnection(server);
    await admin.query(`CREATE DATABASE \`${name}\``);
    const maria = await enrollDatabase(stack, 'maria-odd');
    writeFileSync(join(dir, 'maria.creds.json'), JSON.stringify(maria));
    writeFileSync(
      join(dir, 'maria.json'),
      JSON.stringify({
        api: { url: stack.apiUrl, credentialsFile: 'maria.creds.json' },
        source: { type: 'mysql', url: `${server}/${name}` },
        tables: [{ name: 'switches' }],
        stateFile: 'maria.state.json',
      }),
    );
    const mariaAgent = new SyncAgent(loadAgentConfig(join(dir, 'maria.json')), () => undefined);
    try {
      await admin.query(`CREATE TABLE \`${name}\`.switches (id BIGINT PRIMARY KEY, on_off TINYINT(1))`);
      await admin.query(`INSERT INTO \`${name}\`.switches VALUES (1, 0), (2, 1), (3, 2), (4, NULL)`);
      await mariaAgent.source.installTracking([{ name: 'switches' }]);
      for (let i = 0; i < 2; i++) expect((await mariaAgent.cycle()).tables.filter((t) => 'error' in t)).toEqual([]);
      const res = await fetch(
        `${stack.apiUrl}/v1/customers/${maria.customerId}/databases/${maria.databaseId}/tables/switches/quarantine`,
        { headers: { authorization: `Bearer ${maria.secret}` } },
      );
      const rows = ((await res.json()) as { rows: { rowKey: string; error: string }[] }).rows;
      expect(rows).toEqual([
        expect.objectContaining({
          rowKey: '["3"]',
          error: expect.stringMatching(/column "on_off" \(boolean\): expected true or false, got "2"/),
        }),
      ]);
      const info = await mariaAgent.api.versionInfo('switches');
      expect(info).toMatchObject({ rowCount: '3', quarantined: 1 });
    } finally {
      await mariaAgent.close();
      await admin.query(`DROP DATABASE \`${name}\``);
      await admin.end();
    }
  });
});
