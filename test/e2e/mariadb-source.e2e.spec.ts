import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { SyncAgent } from '../../apps/agent/src/agent.js';
import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';
import { configuredAgent } from '../../scripts/lib/agent-config.js';
import { digestsBothWays, passOverFirstTable } from '../support/agent.js';

const SERVER = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';

/** A MariaDB/MySQL source database synced through the whole stack (the real server this machine runs). */
describe('MySQL/MariaDB source', () => {
  let stack: Stack;
  let dir: string;
  let source: mysql.Connection;
  let remote: pg.Client;
  let creds: { customerId: string; databaseId: string; secret: string };
  let agent: SyncAgent;
  /** The test's long transaction; ended in afterAll too, so a failed assertion cannot leave it holding locks. */
  let slow: mysql.Connection | undefined;
  const dbName = `rowferry_src_${randomBytes(4).toString('hex')}`;

  /** Every column of every row as text, formatted alike on both sides. */
  async function differences(): Promise<string[]> {
    const [local] = await source.query({
      sql: `SELECT id, name, balance, DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s.%f'), DATE_FORMAT(local_at, '%Y-%m-%d %H:%i:%s.%f'), day, flag, HEX(data), ratio, code, ref, doc FROM accounts ORDER BY id`,
      rowsAsArray: true,
    });
    const { rows: theirs } = await remote.query({
      text: `SELECT id::text, name, balance::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), to_char(local_at, 'YYYY-MM-DD HH24:MI:SS.US'), day::text,
                    flag::int::text, upper(encode(data, 'hex')), ratio::text, code, ref::text, doc
               FROM rowferry_data.accounts WHERE _rf_database = $1 ORDER BY id`,
      values: [creds.databaseId],
      rowMode: 'array',
    });
    const a = (local as unknown[][]).map((r) => JSON.stringify(r.map((v) => (v === null ? null : String(v)))));
    const b = theirs.map((r) => JSON.stringify(r));
    const bs = new Set(b);
    const as = new Set(a);
    return [
      ...a.filter((r) => !bs.has(r)).map((r) => `local ${r}`),
      ...b.filter((r) => !as.has(r)).map((r) => `remote ${r}`),
    ];
  }

  const cycle = () => passOverFirstTable(agent);

  beforeAll(async () => {
    stack = await startStack('mysqlsource', 2);
    const admin = await mysql.createConnection(SERVER);
    await admin.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4`);
    await admin.end();
    source = await mysql.createConnection({
      uri: `${SERVER}/${dbName}`,
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      jsonStrings: true,
      timezone: 'Z',
    });
    await source.query(`SET time_zone = '+00:00'`);
    remote = new pg.Client({ connectionString: stack.databaseUrl });
    await remote.connect();
    await source.query(`CREATE TABLE accounts (
      id BIGINT PRIMARY KEY, name TEXT, balance DECIMAL(38, 10), at TIMESTAMP(6) NULL, local_at DATETIME(6), day DATE, flag TINYINT(1),
      data VARBINARY(300), ratio DOUBLE, code VARCHAR(8), ref UUID, doc JSON) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await source.query(
      `INSERT INTO accounts VALUES
      (-9223372036854775808, 'min', -1234567890123456789012345678.0123456789, '1970-01-01 00:00:01.123456', '1000-01-01 00:00:00.000001', '1583-10-15', 1, ?, 0.1, 'abc', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2.5, "x"], "b": null}'),
      (9223372036854775807, 'max', 9999999999999999999999999999.9999999999, '2038-01-19 03:14:07.999999', '9999-12-31 23:59:59.999999', '9999-12-31', 0, ?, 1.7976931348623157e308, '', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '[]'),
      (0, '', 0, NULL, NULL, NULL, NULL, '', NULL, NULL, NULL, NULL),
      (2, 'emoji 😀 and e\u0301 combining', 1e-10, '2024-02-29 12:00:00', '2024-02-29 12:00:00', '1969-07-20', 1, NULL, -2.5e-300, 'ß', NULL, '"just a string"')`,
      [Buffer.from([0, 1, 2]), all],
    );
    await source.query(`INSERT INTO accounts (id, name) SELECT seq, CONCAT('bulk ', seq) FROM seq_100_to_2099`);
    dir = mkdtempSync(join(tmpdir(), 'rowferry-mysql-'));
    creds = await enrollDatabase(stack, 'mysql-source');
    agent = configuredAgent(stack, dir, creds, {
      source: { type: 'mariadb', url: `${SERVER}/${dbName}` },
      tables: [{ name: 'accounts' }],
    });
    await agent.source.installTracking([{ name: 'accounts' }]);
  });

  afterAll(async () => {
    await slow?.end().catch(() => undefined);
    await agent?.close();
    await source?.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
    await source?.end();
    await remote?.end();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('maps the column types and syncs every value exactly', async () => {
    const described = await agent.source.describe({ name: 'accounts' });
    expect(described.columns.map((c) => [c.name, c.type, c.length])).toEqual([
      ['id', 'bigint', undefined],
      ['name', 'text', undefined],
      ['balance', 'numeric', undefined],
      ['at', 'timestamptz', undefined],
      ['local_at', 'timestamp', undefined],
      ['day', 'date', undefined],
      ['flag', 'boolean', undefined],
      ['data', 'bytea', undefined],
      ['ratio', 'double', undefined],
      ['code', 'text', 8],
      ['ref', 'uuid', undefined],
      ['doc', 'text', undefined], // MariaDB's JSON is LONGTEXT with a check: kept as its exact text
    ]);
    await cycle();
    await cycle();
    expect(await differences()).toEqual([]);
  });

  it('a content check of the equal copy finds nothing: every type hashes alike from the source and from PostgreSQL', async () => {
    const [result] = (await agent.verify({ content: true })).values();
    expect(result.found).toBe(0);
  });

  it('safe watermark: a lower version still uncommitted holds back higher committed ones, then arrives with them by the ahead path', async () => {
    slow = await mysql.createConnection(`${SERVER}/${dbName}`);
    await slow.query('BEGIN');
    await slow.query(`INSERT INTO accounts (id, name) VALUES (5000, 'committed last, lower version')`);
    const [[lowRow]] = (await slow.query(`SELECT _rowferry_version AS v FROM accounts WHERE id = 5000`)) as unknown as [
      { v: string }[],
    ];
    await source.query(`INSERT INTO accounts (id, name) VALUES (5001, 'committed first, higher version')`);
    const [[highRow]] = (await source.query(
      `SELECT _rowferry_version AS v FROM accounts WHERE id = 5001`,
    )) as unknown as [{ v: string }[]];
    const low = BigInt(lowRow.v);
    expect(BigInt(highRow.v)).toBeGreaterThan(low);

    await cycle();
    const held = (
      await remote.query(`SELECT applied_through::text AS t FROM table_stats WHERE database_id = $1`, [
        creds.databaseId,
      ])
    ).rows[0].t;
    expect(BigInt(held)).toBeLessThan(low);
    // The restore marker written in that pass holds the safe watermark, not a counter that includes the open version.
    const [[marker]] = (await source.query(
      `SELECT CAST(watermark AS CHAR) AS w FROM _rowferry_markers ORDER BY seq DESC LIMIT 1`,
    )) as unknown as [{ w: string }[]];
    expect(BigInt(marker.w)).toBeLessThan(low);

    await slow.query('COMMIT');
    await slow.end();
    slow = undefined;
    const pass = await cycle();
    expect(pass.steps[0]).toBe('ahead');
    expect(pass.uploaded).toBeGreaterThanOrEqual(2);
    const rows = (
      await remote.query(
        `SELECT id::int FROM rowferry_data.accounts WHERE _rf_database = $1 AND id BETWEEN 5000 AND 5001 ORDER BY id`,
        [creds.databaseId],
      )
    ).rows;
    expect(rows).toEqual([{ id: 5000 }, { id: 5001 }]);
    expect(await differences()).toEqual([]);
  });

  it('syncs updates and deletes', async () => {
    await source.query(`UPDATE accounts SET name = CONCAT(name, ' v2'), ratio = 2.5 WHERE id % 10 = 0`);
    await source.query(`DELETE FROM accounts WHERE id BETWEEN 1000 AND 1099`);
    for (let i = 0; i < 3; i++) await cycle();
    expect(await differences()).toEqual([]);
  });
  it('digests computed in SQL on the source equal the agent-side formula for every key type', async () => {
    await source.query(`CREATE TABLE keyed (t VARCHAR(40), c CHAR(6), b VARBINARY(60), d DATE, u UUID, f TINYINT(1), i INT,
      note TEXT, PRIMARY KEY (t, c, b, d, u, f, i)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    await source.query(`INSERT INTO keyed
      SELECT CONCAT('k', seq, IF(seq % 3 = 0, ' Zürich 😀', '')), LEFT(CONCAT('c', seq), 6), UNHEX(LPAD(HEX(seq * 7919), 50, '0')),
             '2024-02-29' + INTERVAL seq DAY, UUID(), seq % 3, CAST(seq AS SIGNED) - 500, 'n'
        FROM seq_1_to_1000`);
    await agent.source.installTracking([{ name: 'keyed' }]);
    const { inSource, byFormula } = await digestsBothWays(agent.source, 'keyed');
    // Every key, read back from its canonical form, finds its row (a key the check finds remote-only is deleted
    // remotely unless the source still has it).
    const table = await agent.source.describe({ name: 'keyed' });
    const manifest = await agent.source.manifest(table, [{ after: 0n, upTo: await agent.source.localMax(table) }]);
    expect(manifest.size).toBe(1000);
    for (const [key, version] of manifest) expect(await agent.source.versionOfKey(table, key)).toBe(version);
    expect(inSource).toEqual(byFormula);
    expect(inSource.reduce((n, d) => n + d.count, 0)).toBe(1000);
  });
});
