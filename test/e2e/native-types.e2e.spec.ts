import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { SyncAgent } from '../../apps/agent/src/agent.js';
import { configuredAgent, type Credentials } from '../../scripts/lib/agent-config.js';
import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';
import { syncRound } from '../support/agent.js';
import { mariadbSource, postgresSource, type SourceDatabase } from '../support/source-databases.js';

/**
 * Types keep their meaning (docs/sources.md, Types and their meaning): PostgreSQL's built-in types rowferry has no type
 * for are stored as themselves, so the cloud answers the same WHERE as the source (an interval of '1 day' equals one of
 * '24 hours'; an inet is contained in a network; a tsvector matches a query); money is its amount, an enum its label.
 * A type with no exact remote form (a composite, MariaDB's POINT) refuses its table, naming the column, until the
 * config lists it under asText. MariaDB's BIT(n), BIGINT UNSIGNED up to 2^64 - 1 and zero dates (quarantined with
 * PostgreSQL's reason, never changed).
 */
describe('types stored as themselves', () => {
  let stack: Stack;
  let remote: pg.Client;
  let dir: string;

  beforeAll(async () => {
    stack = await startStack('native', 2);
    remote = new pg.Client({ connectionString: stack.databaseUrl });
    await remote.connect();
    dir = mkdtempSync(join(tmpdir(), 'rowferry-native-'));
  });

  afterAll(async () => {
    await remote?.end();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const remoteTypes = async (table: string) =>
    Object.fromEntries(
      (
        await remote.query<{ name: string; type: string }>(
          `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
            WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attname NOT LIKE '\\_rf\\_%'`,
          [`rowferry_data.${table}`],
        )
      ).rows.map((r) => [r.name, r.type]),
    );

  /** The ids of the tenant's remote rows matching `where`. */
  const remoteIds = async (table: string, creds: Credentials, where: string) =>
    (
      await remote.query<{ id: string }>(
        `SELECT id::text AS id FROM rowferry_data.${table} WHERE _rf_database = $1 AND (${where}) ORDER BY id`,
        [creds.databaseId],
      )
    ).rows.map((r) => r.id);

  describe('from PostgreSQL', () => {
    let database: SourceDatabase;
    let source: pg.Client;
    let agent: SyncAgent;
    let creds: Credentials;

    const TABLES = [{ name: 'kinds' }, { name: 'addresses', asText: ['home'] }];

    /** Conditions whose answer depends on the type, not on the text: each finds some rows and not others. */
    const WHERE = [
      `span = '24 hours'`, // '1 day' too, as an interval
      `span > '36 hours'`,
      `at_time > '09:30'`,
      `at_timetz = '12:00:00+02'`,
      `host << '10.0.0.0/8'`,
      `net >>= '192.168.1.7'`,
      `mac = '08-00-2b-01-02-03'`,
      `flags & B'00001' = B'00001'`,
      `vflags = B'101'`,
      `doc @@ 'cat'::tsquery`,
      `q = 'cat & dog'::tsquery`,
      `xpath_exists('/a/b', body)`,
      `seats @> 5`,
      `during @> '2024-03-01 12:00+00'::timestamptz`,
      `spot <-> point(0, 0) < 2`,
      `price > '10'`,
      `feeling = 'ok'`,
      `'happy' = ANY(feelings)`,
      `'b' = ANY(tags)`,
      `scores[1] = 1.5`,
      `grid @> ARRAY[3]`,
    ];

    beforeAll(async () => {
      database = await postgresSource('rowferry_native');
      source = new pg.Client({ connectionString: database.url });
      await source.connect();
      await source.query(`
        CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
        CREATE TYPE address AS (street text, city text);
        CREATE TABLE kinds (id integer PRIMARY KEY, span interval, at_time time(3), at_timetz timetz, host inet,
          net cidr, mac macaddr, flags bit(5), vflags varbit(8), doc tsvector, q tsquery, body xml, seats int4range,
          during tstzrange, spot point, price money, feeling mood, feelings mood[], tags text[], scores numeric(5,2)[],
          grid integer[]);
        INSERT INTO kinds VALUES
          (1, '1 day', '10:00:00.125', '12:00+02', '10.1.2.3', '192.168.1.0/24', '08:00:2b:01:02:03', B'10001', B'101',
           to_tsvector('english', 'the cats sat'), 'cat & dog', '<a><b>x</b></a>', '[1,10)',
           '[2024-03-01 00:00+00, 2024-03-02 00:00+00)', '(1,1)', 12.5, 'ok', '{happy,sad}', '{a,b}', '{1.5,2}',
           '{1,2,3}'),
          (2, '24 hours', '09:00', '10:00+00', '172.16.0.1', '10.0.0.0/8', '08:00:2b:ff:ff:ff', B'00010', B'11',
           to_tsvector('english', 'dogs only'), 'dog', '<a><c/></a>', 'empty', '[2025-01-01 00:00+00,)', '(5,5)', 3,
           'sad', '{ok}', '{"b c",NULL}', '{}', '{4}'),
          (3, '2 days 3 hours', '23:59:59.999', '23:00-05', '10.0.0.0/8', '192.168.0.0/16', '00:00:00:00:00:00',
           B'00001', B'', '', 'cat', '<a/>', '(4,6]', NULL, '(0,1.5)', 10.01, 'happy', '{}', '{b}', '{1.5}', '{3,3}'),
          (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL);
        CREATE TABLE addresses (id integer PRIMARY KEY, home address);
        INSERT INTO addresses VALUES (1, ROW('1 Main St', 'Paris')), (2, NULL);`);
      creds = await enrollDatabase(stack, 'native-pg');
      agent = configuredAgent(stack, dir, creds, {
        source: { type: 'postgres', url: database.url },
        tables: TABLES,
      });
    });

    afterAll(async () => {
      await agent?.close();
      await source?.end();
      await database?.drop();
    });

    const sameAnswers = async () => {
      for (const where of WHERE) {
        const local = (
          await source.query<{ id: string }>(`SELECT id::text AS id FROM kinds WHERE ${where} ORDER BY id`)
        ).rows.map((r) => r.id);
        expect({ where, ids: await remoteIds('kinds', creds, where) }).toEqual({ where, ids: local });
        expect({ where, some: local.length > 0 && local.length < 4 }).toEqual({ where, some: true });
      }
    };

    it('a composite column refuses its table, naming the column and the way out', async () => {
      await expect(agent.source.installTracking([{ name: 'addresses' }])).rejects.toThrow(
        'column "home" of table "addresses" has type address, which the cloud cannot store with its meaning',
      );
      await expect(agent.source.installTracking([{ name: 'addresses' }])).rejects.toThrow(/asText/);
    });

    it('each type arrives as itself and answers the same WHERE; money as numeric, an enum as text; equal by content', async () => {
      await agent.source.installTracking(TABLES);
      await syncRound(agent);
      const types = await remoteTypes('kinds');
      const local = await source.query<{ name: string; type: string }>(
        `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
          WHERE attrelid = 'kinds'::regclass AND attnum > 0 AND NOT attisdropped AND attname NOT LIKE '\\_rowferry%'`,
      );
      const different = { price: 'numeric', feeling: 'text', feelings: 'text[]', id: 'bigint' };
      expect(types).toEqual({ ...Object.fromEntries(local.rows.map((r) => [r.name, r.type])), ...different });
      await sameAnswers();
      expect((await agent.verify({ content: true })).get('kinds')).toMatchObject({ found: 0, equal: true });
      expect(await remoteTypes('addresses')).toEqual({ id: 'bigint', home: 'text' });
      expect(await remoteIds('addresses', creds, `home = '("1 Main St",Paris)'`)).toEqual(['1']);
    });

    it('a remote value changed behind our back is found by content and repaired by verify', async () => {
      await remote.query(`UPDATE rowferry_data.kinds SET span = '25 hours' WHERE _rf_database = $1 AND id = 2`, [
        creds.databaseId,
      ]);
      const verified = (await agent.verify({ content: true })).get('kinds')!;
      expect(verified.found).toBeGreaterThan(0);
      expect(await remoteIds('kinds', creds, `span = '25 hours'`)).toEqual([]);
      await sameAnswers();
    });

    it("a money column an earlier agent sent as its text ('$12.50') is not taken over as numeric: refused, saying what to do", async () => {
      await source.query(
        `CREATE TABLE prices (id integer PRIMARY KEY, price money); INSERT INTO prices VALUES (1, 12.5)`,
      );
      // What an agent that had no type for money registered and stored: its lc_monetary text, in a text column.
      await agent.api.registerTable('prices', {
        columns: [
          { name: 'id', type: 'bigint' },
          { name: 'price', type: 'text' },
        ],
        key: ['id'],
      });
      await remote.query(
        `INSERT INTO rowferry_data.prices (_rf_customer, _rf_database, id, price, _rf_version) VALUES ($1, $2, 1, '$12.50', 1)`,
        [creds.customerId, creds.databaseId],
      );
      mkdirSync(join(dir, 'later'));
      const later = configuredAgent(stack, join(dir, 'later'), creds, {
        source: { type: 'postgres', url: database.url },
        tables: [{ name: 'prices' }],
      });
      try {
        await later.source.installTracking([{ name: 'prices' }]);
        const [pass] = (await later.cycle()).tables;
        expect(pass).toMatchObject({ table: 'prices' });
        expect((pass as { error: string }).error).toMatch(
          /registered by an earlier agent with text where it now declares "price" as numeric, and this database's stored values cannot all be read so .*: sync it under a new remoteName/,
        );
      } finally {
        await later.close();
      }
    });

    it('changes travel and still answer alike', async () => {
      await source.query(`UPDATE kinds SET span = '48 hours', host = '10.9.9.9', tags = '{b}', price = 99 WHERE id = 4;
        UPDATE kinds SET doc = to_tsvector('english', 'a dog'), seats = '[5,5]', feelings = '{happy}' WHERE id = 2`);
      await syncRound(agent);
      await sameAnswers();
      expect((await agent.verify({ content: true })).get('kinds')).toMatchObject({ found: 0, equal: true });
    });
  });

  describe('from MariaDB', () => {
    const GADGETS = { name: 'gadgets', asText: ['spot'] };
    let database: SourceDatabase;
    let source: mysql.Connection;
    let agent: SyncAgent;
    let creds: Credentials;

    beforeAll(async () => {
      database = await mariadbSource('rowferry_native');
      source = await mysql.createConnection({ uri: database.url, multipleStatements: true });
      await source.query(`SET SESSION sql_mode = ''`);
      await source.query(`
        CREATE TABLE gadgets (id BIGINT UNSIGNED PRIMARY KEY, flags BIT(10), big BIGINT UNSIGNED, tags SET('a', 'b', 'c'),
          mood ENUM('sad', 'ok'), yr YEAR, spot POINT, day DATE);
        INSERT INTO gadgets VALUES (1, b'1010000001', 18446744073709551615, 'a,c', 'ok', 2024, POINT(1, 2), '2024-02-29'),
          (2, b'0', 9223372036854775808, '', 'sad', 1901, NULL, '0000-00-00'),
          (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL);`);
      creds = await enrollDatabase(stack, 'native-maria');
      agent = configuredAgent(stack, dir, creds, {
        source: { type: 'mariadb', url: database.url },
        tables: [GADGETS],
      });
    });

    afterAll(async () => {
      await agent?.close();
      await source?.end();
      await database?.drop();
    });

    it('a spatial column refuses its table until the config lists it under asText', async () => {
      await expect(agent.source.installTracking([{ name: 'gadgets' }])).rejects.toThrow(
        'column "spot" of table "gadgets" has type point, which the cloud cannot store with its meaning',
      );
    });

    it('BIT(n) as bit(n), BIGINT UNSIGNED to its maximum, SET and ENUM as their text, POINT as WKT; a zero date quarantined with its reason', async () => {
      await agent.source.installTracking([GADGETS]);
      await syncRound(agent);
      expect(await remoteTypes('gadgets')).toEqual({
        id: 'bigint',
        flags: 'bit(10)',
        big: 'numeric',
        tags: 'text',
        mood: 'text',
        yr: 'bigint',
        spot: 'text',
        day: 'date',
      });
      expect(await remoteIds('gadgets', creds, `flags = B'1010000001'`)).toEqual(['1']);
      expect(await remoteIds('gadgets', creds, `big = 18446744073709551615`)).toEqual(['1']);
      expect(await remoteIds('gadgets', creds, `tags = 'a,c' AND mood = 'ok' AND yr = 2024`)).toEqual(['1']);
      expect(await remoteIds('gadgets', creds, `spot = 'POINT(1 2)' AND day = '2024-02-29'`)).toEqual(['1']);
      expect(await remoteIds('gadgets', creds, `id = 3 AND flags IS NULL AND spot IS NULL`)).toEqual(['3']);
      const quarantined = await remote.query<{ row_key: string; error: string }>(
        `SELECT row_key, error FROM quarantine WHERE database_id = $1 AND table_name = 'gadgets'`,
        [creds.databaseId],
      );
      expect(quarantined.rows).toHaveLength(1);
      expect(quarantined.rows[0].error).toMatch(/0000-00-00/);
    });
  });

  describe('from SQLite', () => {
    let agent: SyncAgent;
    let creds: Credentials;

    beforeAll(async () => {
      const db = new Database(join(dir, 'mixed.db'));
      // A value whose storage class disagrees with the column's declared affinity is kept as written by SQLite.
      db.exec(`CREATE TABLE mixed (id INTEGER PRIMARY KEY, n INTEGER, r REAL, d DATE, t TEXT);
        INSERT INTO mixed VALUES (1, 42, 1.5, '2024-01-01', 7), (2, 1.5, 2, '2024-01-02', 'x'),
          (3, 'many', 3, '2024-01-03', 'y'), (4, 4, 'much', '2024-01-04', 'z'), (5, 5, 5, 'yesterday', 'w');`);
      db.close();
      creds = await enrollDatabase(stack, 'native-sqlite');
      agent = configuredAgent(stack, dir, creds, {
        source: { type: 'sqlite', path: 'mixed.db' },
        tables: [{ name: 'mixed' }],
      });
      await agent.source.installTracking([{ name: 'mixed' }]);
    });

    afterAll(() => agent?.close());

    it('a value its column type cannot hold is quarantined with its reason, never rounded or changed', async () => {
      await syncRound(agent);
      expect(await remoteIds('mixed', creds, `n = 42 AND r = 1.5 AND d = '2024-01-01' AND t = '7'`)).toEqual(['1']);
      expect(await remoteIds('mixed', creds, 'true')).toEqual(['1']);
      const quarantined = await remote.query<{ row_key: string; error: string }>(
        `SELECT row_key, error FROM quarantine WHERE database_id = $1 ORDER BY row_key`,
        [creds.databaseId],
      );
      expect(quarantined.rows.map((r) => r.row_key)).toEqual(['["2"]', '["3"]', '["4"]', '["5"]']);
      const [fraction, word, notReal, notDate] = quarantined.rows.map((r) => r.error);
      expect(fraction).toMatch(/1\.5/);
      expect(word).toMatch(/many/);
      expect(notReal).toMatch(/double precision: "much"/);
      expect(notDate).toMatch(/column "d" \(date\): expected a date as YYYY-MM-DD, got "yesterday"/);
    });
  });
});
