import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { SyncAgent } from '../../apps/agent/src/agent.js';
import { quoteIdent } from '#contracts';
import { databaseUrl } from '#persistence';
import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';
import { configuredAgent } from '../../scripts/lib/agent-config.js';
import { digestsOnBothSides, passOverFirstTable } from '../support/agent.js';

const COLUMNS = ['id', 'name', 'balance', 'at', 'local_at', 'day', 'flag', 'data', 'doc', 'ref', 'ratio', 'code'];

/** A PostgreSQL source database (separate from the remote one) synced through the whole stack. */
describe('PostgreSQL source', () => {
  let stack: Stack;
  let dir: string;
  let sourceUrl: string;
  let source: pg.Client;
  let remote: pg.Client;
  let creds: { customerId: string; databaseId: string; secret: string };
  let agent: SyncAgent;
  /** The test's long transaction; ended in afterAll too, so a failed assertion cannot leave it holding locks. */
  let slow: pg.Client | undefined;
  const sourceName = `rowferry_src_${randomBytes(4).toString('hex')}`;

  /** Every column of every row as PostgreSQL prints it (UTC, ISO), source against remote. */
  async function differences(): Promise<string[]> {
    const list = COLUMNS.map((c) => `${quoteIdent(c)}::text`).join(', ');
    const a = (await source.query({ text: `SELECT ${list} FROM accounts ORDER BY id`, rowMode: 'array' })).rows.map(
      (r) => JSON.stringify(r),
    );
    const b = (
      await remote.query({
        text: `SELECT ${list} FROM rowferry_data.accounts WHERE _rf_database = $1 ORDER BY id`,
        values: [creds.databaseId],
        rowMode: 'array',
      })
    ).rows.map((r) => JSON.stringify(r));
    const remoteSet = new Set(b);
    const localSet = new Set(a);
    return [
      ...a.filter((r) => !remoteSet.has(r)).map((r) => `local ${r}`),
      ...b.filter((r) => !localSet.has(r)).map((r) => `remote ${r}`),
    ];
  }

  const cycle = () => passOverFirstTable(agent);

  beforeAll(async () => {
    stack = await startStack('pgsource', 2);
    const admin = new pg.Client({ connectionString: databaseUrl().replace(/\/[^/]*$/, '/postgres') });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${quoteIdent(sourceName)}`);
    await admin.end();
    sourceUrl = databaseUrl().replace(/\/[^/]*$/, `/${sourceName}`);
    source = new pg.Client({ connectionString: sourceUrl, options: '-c TimeZone=UTC -c DateStyle=ISO,YMD' });
    await source.connect();
    remote = new pg.Client({ connectionString: stack.databaseUrl, options: '-c TimeZone=UTC -c DateStyle=ISO,YMD' });
    await remote.connect();
    await source.query(`CREATE TABLE accounts (
      id bigint PRIMARY KEY, name text, balance numeric(40, 10), at timestamptz, local_at timestamp, day date, flag boolean,
      data bytea, doc jsonb, ref uuid, ratio double precision, code varchar(8))`);
    await source.query(`INSERT INTO accounts VALUES
      (-9223372036854775808, 'min', -1234567890123456789012345678.0123456789, '1969-07-20 20:17:40.123456+00', '1900-01-01 00:00:00.000001', '1583-10-15', true,
        decode(repeat('00', 1), 'hex') || '\\x0102fdfeff'::bytea, '{"a": [1, 2.5, "x"], "b": null}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 0.1, 'abc'),
      (9223372036854775807, 'max', 99999999999999999999999999999.9999999999, '2038-01-19 03:14:07.999999+00', '2262-04-11 23:47:16.854775', '9999-12-31', false,
        (SELECT string_agg(lpad(to_hex(i), 2, '0'), '')::text FROM generate_series(0, 255) i)::bytea, '[]', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A12', 'Infinity', ''),
      (0, '', 0, NULL, NULL, NULL, NULL, '', '{}', NULL, 'NaN', NULL),
      (1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, -0.0, NULL),
      (2, 'emoji 😀 and e' || chr(769) || ' combining', 1e-10, '2024-02-29 12:00:00+05:30', '2024-02-29 12:00:00', '2024-02-29', true, NULL, '"just a string"', NULL, 1.7976931348623157e308, 'ß')`);
    await source.query(`INSERT INTO accounts (id, name) SELECT g, 'bulk ' || g FROM generate_series(100, 3099) g`);
    dir = mkdtempSync(join(tmpdir(), 'rowferry-pgsrc-'));
    creds = await enrollDatabase(stack, 'pg-source');
    agent = configuredAgent(stack, dir, creds, {
      source: { type: 'postgres', url: sourceUrl },
      tables: [{ name: 'accounts' }],
    });
    await agent.source.installTracking([{ name: 'accounts' }]);
  });

  afterAll(async () => {
    await slow?.end().catch(() => undefined);
    await agent?.close();
    await source?.end();
    await remote?.end();
    await stack?.stop();
    const admin = new pg.Client({ connectionString: databaseUrl().replace(/\/[^/]*$/, '/postgres') });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(sourceName)} WITH (FORCE)`);
    await admin.end();
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
      ['doc', 'json', undefined],
      ['ref', 'uuid', undefined],
      ['ratio', 'double', undefined],
      ['code', 'text', 8],
    ]);
    await cycle();
    await cycle();
    expect(await differences()).toEqual([]);
  });

  it('track leaves statistics on the versions it gave, so a load reads by the version index, not by sorting the rest', async () => {
    const { rows } = await source.query(
      `SELECT count(*)::int AS n FROM pg_stats WHERE tablename = 'accounts' AND attname = '_rowferry_version'`,
    );
    expect(rows[0].n).toBe(1);
  });

  it('a content check of the equal copy finds nothing: every type hashes alike from the source and from PostgreSQL', async () => {
    const [result] = (await agent.verify({ content: true })).values();
    expect(result.found).toBe(0);
  });

  it('safe watermark: a lower version still uncommitted holds back higher committed ones, then arrives with them by the ahead path', async () => {
    slow = new pg.Client({ connectionString: sourceUrl });
    await slow.connect();
    await slow.query('BEGIN');
    await slow.query(`INSERT INTO accounts (id, name) VALUES (5000, 'committed last, lower version')`);
    const low = BigInt((await slow.query(`SELECT _rowferry_version AS v FROM accounts WHERE id = 5000`)).rows[0].v);
    await source.query(`INSERT INTO accounts (id, name) VALUES (5001, 'committed first, higher version')`);
    const high = BigInt((await source.query(`SELECT _rowferry_version AS v FROM accounts WHERE id = 5001`)).rows[0].v);
    expect(high).toBeGreaterThan(low);

    await cycle();
    const held = (
      await remote.query(`SELECT applied_through::text AS t FROM table_stats WHERE database_id = $1`, [
        creds.databaseId,
      ])
    ).rows[0].t;
    expect(BigInt(held)).toBeLessThan(low); // the watermark did not move past the open transaction's version
    // The restore marker written in that pass holds the safe watermark, not a counter that includes the open version.
    const marker = (await source.query(`SELECT watermark::text AS w FROM _rowferry.markers ORDER BY seq DESC LIMIT 1`))
      .rows[0].w;
    expect(BigInt(marker)).toBeLessThan(low);
    const recorded = (
      await remote.query(
        `SELECT watermark::text AS w FROM database_markers WHERE database_id = $1 ORDER BY seq DESC LIMIT 1`,
        [creds.databaseId],
      )
    ).rows[0].w;
    expect(recorded).toBe(marker);

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

  it('safe watermark: a lone open writer holding the newest transaction id, with nothing completing after it, holds it back', async () => {
    // The newest id is at or past a snapshot's xmax (one past the newest completed id): a snapshot does not list it.
    const lone = new pg.Client({ connectionString: sourceUrl });
    await lone.connect();
    try {
      await lone.query('BEGIN');
      await lone.query(`UPDATE accounts SET name = 'lone writer' WHERE id = 5000`);
      const held = BigInt((await lone.query(`SELECT _rowferry_version AS v FROM accounts WHERE id = 5000`)).rows[0].v);
      expect(await agent.source.safeWatermark()).toBeLessThan(held);
      expect(await agent.source.safeWatermark()).toBeLessThan(held);
      await lone.query('COMMIT');
      expect(await agent.source.safeWatermark()).toBeGreaterThanOrEqual(held);
    } finally {
      await lone.end();
    }
    await cycle();
    expect(await differences()).toEqual([]);
  });

  it('syncs updates and deletes', async () => {
    await source.query(`UPDATE accounts SET name = name || ' v2', ratio = 2.5 WHERE id % 10 = 0`);
    await source.query(`DELETE FROM accounts WHERE id BETWEEN 1000 AND 1099`);
    for (let i = 0; i < 3; i++) await cycle();
    expect(await differences()).toEqual([]);
  });

  it("digests computed in SQL on the source equal the worker's by key and by content, for every key and column type", async () => {
    await source.query(`CREATE TABLE keyed (t text, c char(6), b bytea, d date, u uuid, f boolean, i integer, note text,
      r real, j json, n numeric(12, 2), s smallint, ts timestamp(3), tz timestamptz(3), iv interval, arr int[], pad char(4),
      PRIMARY KEY (t, c, b, d, u, f, i))`);
    await source.query(`INSERT INTO keyed
      SELECT 'k' || g || CASE WHEN g % 3 = 0 THEN ' Zürich 😀' ELSE '' END, left('c' || g, 6), decode(lpad(to_hex(g), 8, '0'), 'hex'),
             date '2024-02-29' + g, md5(g::text)::uuid, g % 2 = 0, g - 500, CASE WHEN g % 5 > 0 THEN 'n' || g END,
             CASE WHEN g % 7 > 0 THEN g / 10.0 END, ('{ "z": ' || g || ',  "a": [1, 2.50] }')::json, g / 3.0, g % 100,
             timestamp '2024-01-01 00:00:00.123' + g * interval '1 minute', timestamptz '2024-01-01 00:00:00.5+05' + g * interval '1 hour',
             g * interval '1 second', ARRAY[g, NULL], CASE WHEN g % 2 = 0 THEN 'p' END
        FROM generate_series(1, 1000) g`);
    await agent.source.installTracking([{ name: 'keyed' }]);
    const dir2 = mkdtempSync(join(tmpdir(), 'rowferry-pgsrc-keyed-'));
    const keyed = configuredAgent(stack, dir2, creds, {
      source: { type: 'postgres', url: sourceUrl },
      tables: [{ name: 'keyed' }],
    });
    try {
      for (let i = 0; i < 3; i++) await passOverFirstTable(keyed);
      for (const content of [false, true]) {
        const { hash, local, remote } = await digestsOnBothSides(keyed, 'keyed', content);
        expect(hash).toBe('hashtext');
        expect(local).toEqual(remote);
        expect(local.reduce((n, d) => n + d.count, 0)).toBe(1000);
      }

      // Every key, read back from its canonical form, finds its row (a key the check finds remote-only is deleted
      // remotely unless the source still has it).
      const table = await keyed.source.describe({ name: 'keyed' });
      const manifest = await keyed.source.manifest(table, [{ after: 0n, upTo: await keyed.source.localMax(table) }]);
      expect(manifest.size).toBe(1000);
      for (const [key, version] of manifest) expect(await keyed.source.versionOfKey(table, key)).toBe(version);

      // A value the source's SQL cannot read as the remote type (json jsonb refuses) is quarantined remotely; the
      // table's content is then hashed by md5 (in JavaScript on both sides), and a content check still finds nothing.
      await source.query(`UPDATE keyed SET j = '{"a": "\\u0000"}' WHERE i = 0`);
      for (let i = 0; i < 3; i++) await passOverFirstTable(keyed);
      const quarantined = await remote.query(`SELECT count(*)::int AS n FROM quarantine WHERE database_id = $1`, [
        creds.databaseId,
      ]);
      expect(quarantined.rows[0].n).toBe(1);
      const [result] = (await keyed.verify({ content: true })).values();
      expect(result.found).toBe(0);
      expect(keyed.source.digestHash(table, true)).toBe('md5');
      expect(keyed.source.digestHash(table, false)).toBe('hashtext');
    } finally {
      await keyed.close();
      rmSync(dir2, { recursive: true, force: true });
    }
  });
});
