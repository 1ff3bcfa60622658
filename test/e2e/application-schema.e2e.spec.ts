import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { SyncAgent } from '../../apps/agent/src/agent.js';
import { quoteIdent } from '#contracts';
import { compareTable } from '../../scripts/lib/compare.js';
import { configuredAgent, type Credentials } from '../../scripts/lib/agent-config.js';
import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';
import { syncRound } from '../support/agent.js';
import { mariadbSource, postgresSource, type SourceDatabase } from '../support/source-databases.js';

/**
 * A real application's shape, all its features together (issue 30): legacy partitioning by INSERT rules, declarative
 * partitions (one attached after track), enum and domain columns, a tsvector kept by a trigger, arrays, bytea, the
 * application's own BEFORE UPDATE trigger rewriting last_update, composite keys, char(n), generated columns. Loaded,
 * synced, changed as an application does and by writes that bypass the triggers, then every column of every table
 * compared as text.
 */
describe("a real application's schema", () => {
  let stack: Stack;
  let remote: pg.Client;

  beforeAll(async () => {
    stack = await startStack('appschema', 2);
    remote = new pg.Client({ connectionString: stack.databaseUrl, options: '-c TimeZone=UTC -c DateStyle=ISO,YMD' });
    await remote.connect();
  });

  afterAll(async () => {
    await remote?.end();
    await stack?.stop();
  });

  /** Every column of every row of the tenant's remote table as text, key order. */
  async function remoteText(table: string, columns: string[], creds: Credentials): Promise<string[]> {
    const { rows } = await remote.query({
      text: `SELECT ${columns.map((c) => `${quoteIdent(c)}::text`).join(', ')} FROM rowferry_data.${quoteIdent(table)}
              WHERE _rf_database = $1 ORDER BY ${columns.map((_, i) => i + 1).join(', ')}`,
      values: [creds.databaseId],
      rowMode: 'array',
    });
    return rows.map((r) => JSON.stringify(r));
  }

  describe('on PostgreSQL', () => {
    const TABLES: Record<string, string[]> = {
      customer: [
        'customer_id',
        'store_code',
        'name',
        'name_length',
        'mood',
        'born',
        'tags',
        'photo',
        'fulltext',
        'last_update',
      ],
      payment: ['payment_date', 'payment_id', 'customer_id', 'amount'],
      rental: ['store_id', 'rental_id', 'customer_id', 'rented_at', 'last_update'],
    };
    let database: SourceDatabase;
    let source: pg.Client;
    let agent: SyncAgent;
    let dir: string;
    let creds: Credentials;

    async function differences(): Promise<string[]> {
      const out: string[] = [];
      for (const [table, columns] of Object.entries(TABLES)) {
        const { rows } = await source.query({
          text: `SELECT ${columns.map((c) => `${quoteIdent(c)}::text`).join(', ')} FROM ${quoteIdent(table)}
                  ORDER BY ${columns.map((_, i) => i + 1).join(', ')}`,
          rowMode: 'array',
        });
        const local = rows.map((r) => JSON.stringify(r));
        const cloud = await remoteText(table, columns, creds);
        out.push(...local.filter((r) => !cloud.includes(r)).map((r) => `${table} local ${r}`));
        out.push(...cloud.filter((r) => !local.includes(r)).map((r) => `${table} remote ${r}`));
      }
      return out;
    }

    beforeAll(async () => {
      database = await postgresSource('rowferry_appschema');
      source = new pg.Client({ connectionString: database.url, options: '-c TimeZone=UTC -c DateStyle=ISO,YMD' });
      await source.connect();
      await source.query(`
        CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
        CREATE DOMAIN year AS integer CHECK (VALUE BETWEEN 1901 AND 2155);
        CREATE FUNCTION last_updated() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN NEW.last_update := '2030-01-01 00:00:00'; RETURN NEW; END $$;

        CREATE TABLE customer (customer_id serial PRIMARY KEY, store_code char(4) NOT NULL, name text NOT NULL,
          name_length integer GENERATED ALWAYS AS (length(name)) STORED, mood mood,
          born year, tags text[], photo bytea, fulltext tsvector, last_update timestamp NOT NULL DEFAULT '2020-01-01');
        CREATE TRIGGER last_updated BEFORE UPDATE ON customer FOR EACH ROW EXECUTE FUNCTION last_updated();
        CREATE TRIGGER fulltext BEFORE INSERT OR UPDATE ON customer
          FOR EACH ROW EXECUTE FUNCTION tsvector_update_trigger(fulltext, 'pg_catalog.english', name);

        CREATE TABLE payment (payment_id integer NOT NULL, customer_id integer, amount numeric(5, 2),
          payment_date timestamptz NOT NULL, PRIMARY KEY (payment_date, payment_id)) PARTITION BY RANGE (payment_date);
        CREATE TABLE payment_2024 PARTITION OF payment FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
        CREATE TABLE payment_2025 PARTITION OF payment FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');

        CREATE TABLE rental (store_id smallint NOT NULL, rental_id integer NOT NULL, customer_id integer,
          rented_at timestamptz NOT NULL, last_update timestamp NOT NULL DEFAULT '2020-01-01', PRIMARY KEY (store_id, rental_id));
        CREATE TABLE rental_store1 (CHECK (store_id = 1)) INHERITS (rental);
        CREATE TABLE rental_store2 (CHECK (store_id = 2)) INHERITS (rental);
        CREATE RULE rental_store1 AS ON INSERT TO rental WHERE NEW.store_id = 1 DO INSTEAD INSERT INTO rental_store1 VALUES (NEW.*);
        CREATE RULE rental_store2 AS ON INSERT TO rental WHERE NEW.store_id = 2 DO INSTEAD INSERT INTO rental_store2 VALUES (NEW.*);
        CREATE TRIGGER last_updated BEFORE UPDATE ON rental FOR EACH ROW EXECUTE FUNCTION last_updated();
        CREATE TRIGGER last_updated BEFORE UPDATE ON rental_store1 FOR EACH ROW EXECUTE FUNCTION last_updated();
        CREATE TRIGGER last_updated BEFORE UPDATE ON rental_store2 FOR EACH ROW EXECUTE FUNCTION last_updated();

        INSERT INTO customer (store_code, name, mood, born, tags, photo)
          SELECT CASE WHEN g % 2 = 0 THEN 'S1' ELSE 'S002' END, 'customer ' || g || ' likes café', (ARRAY['sad', 'ok', 'happy'])[g % 3 + 1]::mood,
                 1950 + g % 60, ARRAY['t' || g % 5, 'x,y "quoted"'], decode(lpad(to_hex(g), 6, '0'), 'hex')
            FROM generate_series(1, 300) g;
        INSERT INTO payment SELECT g, g % 300 + 1, g / 7.0, timestamptz '2024-06-01 00:00:00.5+02' + g * interval '1 day'
          FROM generate_series(1, 400) g;
        INSERT INTO rental (store_id, rental_id, customer_id, rented_at)
          SELECT 1 + g % 2, g, g % 300 + 1, timestamptz '2024-01-01 12:00:00+00' + g * interval '1 hour' FROM generate_series(1, 500) g;`);
      dir = mkdtempSync(join(tmpdir(), 'rowferry-appschema-pg-'));
      creds = await enrollDatabase(stack, 'appschema-pg');
      // A timestamp cannot be part of a key yet: the partitioned table is keyed by its id (docs/sources.md).
      const tables = Object.keys(TABLES).map((name) => ({
        name,
        ...(name === 'payment' ? { key: ['payment_id'] } : {}),
      }));
      agent = configuredAgent(stack, dir, creds, { source: { type: 'postgres', url: database.url }, tables });
      await agent.source.installTracking(tables);
    });

    afterAll(async () => {
      await agent?.close();
      await source?.end();
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('loads exactly: every column of every table, as text on both sides', async () => {
      await syncRound(agent);
      expect(await differences()).toEqual([]);
    });

    it("application changes, a partition attached after track and writes that bypass the triggers arrive, with the application's triggers run only by the application", async () => {
      await source.query(`
        UPDATE customer SET name = name || ' (moved)', tags = tags || ARRAY['moved'] WHERE customer_id % 10 = 0;
        DELETE FROM customer WHERE customer_id BETWEEN 290 AND 300;
        CREATE TABLE payment_2026 PARTITION OF payment FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
        INSERT INTO payment VALUES (1000, 1, 9.99, '2026-03-01 10:00:00+00');
        UPDATE payment SET amount = amount + 1 WHERE payment_id % 50 = 0;
        INSERT INTO rental (store_id, rental_id, customer_id, rented_at) VALUES (1, 1000, 1, '2025-01-01 00:00:00+00');
        UPDATE rental SET customer_id = 2 WHERE rental_id IN (1, 2);
        DELETE FROM rental WHERE rental_id BETWEEN 10 AND 19;
        -- Rules are off too under replica: these rows land in the parent tables.
        SET session_replication_role = replica;
        INSERT INTO customer (store_code, name, mood) VALUES ('S9', 'restored with triggers off', 'ok');
        INSERT INTO rental (store_id, rental_id, customer_id, rented_at) VALUES (2, 1001, 1, '2025-01-02 00:00:00+00');
        INSERT INTO payment VALUES (1001, 1, 1.00, '2025-05-05 05:05:05+00');
        SET session_replication_role = DEFAULT;
        ALTER TABLE rental_store2 DISABLE TRIGGER _rowferry_version;
        INSERT INTO rental_store2 (store_id, rental_id, customer_id, rented_at, _rowferry_version)
          VALUES (2, 1002, 1, '2025-01-03 00:00:00+00', NULL);
        ALTER TABLE rental_store2 ENABLE TRIGGER _rowferry_version;`);
      const before = await source.query(`SELECT count(*)::int AS n FROM rental WHERE _rowferry_version IS NULL`);
      expect(before.rows[0].n).toBe(1);
      await syncRound(agent);
      await syncRound(agent);
      expect(await differences()).toEqual([]);
      // The stamp of row 1002 left the application's own column as it was: its update trigger (which sets 2030) did
      // not run for rowferry's bookkeeping, nor did it when track numbered the rows.
      const { rows } = await source.query(`SELECT last_update::text AS t FROM rental WHERE rental_id = 1002`);
      expect(rows.map((r) => r.t)).toEqual(['2020-01-01 00:00:00']);
      const touched = await source.query(
        `SELECT count(*)::int AS n FROM rental WHERE last_update = '2030-01-01' AND rental_id NOT IN (1, 2)`,
      );
      expect(touched.rows[0].n).toBe(0);
      for (const [table] of Object.entries(TABLES)) {
        const [verified] = (await agent.verify({ content: true, tables: [table] })).values();
        expect({ table, ...verified }).toMatchObject({ table, found: 0, equal: true });
      }
    });
  });

  describe('on MariaDB', () => {
    const TABLES: Record<string, string[]> = {
      customer: [
        'customer_id',
        'store_code',
        'name',
        'name_length',
        'mood',
        'born',
        'tags',
        'photo',
        'active',
        'flags',
        'last_update',
      ],
      payment: ['payment_id', 'customer_id', 'amount', 'payment_date'],
    };
    let database: SourceDatabase;
    let source: mysql.Connection;
    let agent: SyncAgent;
    let dir: string;
    let creds: Credentials;

    /** Every column as MariaDB and PostgreSQL print it alike: times in UTC without a zone, binary as hex. */
    async function differences(): Promise<string[]> {
      const out: string[] = [];
      const localExpr: Record<string, string> = {
        photo: 'LOWER(HEX(photo))',
        flags: `LPAD(BIN(flags), 10, '0')`,
        last_update: `DATE_FORMAT(last_update, '%Y-%m-%d %H:%i:%s.%f')`,
        payment_date: `DATE_FORMAT(payment_date, '%Y-%m-%d %H:%i:%s.%f')`,
        amount: 'CAST(amount AS CHAR)',
      };
      const remoteExpr: Record<string, string> = {
        photo: `encode(photo, 'hex')`,
        last_update: `to_char(last_update AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')`,
        payment_date: `to_char(payment_date AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')`,
        active: 'active::int',
      };
      for (const [table, columns] of Object.entries(TABLES)) {
        const [rows] = await source.query({
          sql: `SELECT ${columns.map((c) => localExpr[c] ?? `CAST(${c} AS CHAR)`).join(', ')} FROM ${table} ORDER BY 1, 2`,
          rowsAsArray: true,
        });
        const mine = (rows as unknown[][]).map((r) => JSON.stringify(r.map((v) => (v === null ? null : String(v)))));
        const { rows: theirs } = await remote.query({
          text: `SELECT ${columns.map((c) => `${remoteExpr[c] ?? quoteIdent(c)}::text`).join(', ')}
                   FROM rowferry_data.${quoteIdent(`m_${table}`)} WHERE _rf_database = $1 ORDER BY 1, 2`,
          values: [creds.databaseId],
          rowMode: 'array',
        });
        const cloud = theirs.map((r) => JSON.stringify(r));
        out.push(...mine.filter((r) => !cloud.includes(r)).map((r) => `${table} local ${r}`));
        out.push(...cloud.filter((r) => !mine.includes(r)).map((r) => `${table} remote ${r}`));
      }
      return out;
    }

    beforeAll(async () => {
      database = await mariadbSource('rowferry_appschema');
      source = await mysql.createConnection({ uri: database.url, multipleStatements: true, dateStrings: true });
      await source.query(`SET time_zone = '+00:00';
        CREATE TABLE customer (customer_id SMALLINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, store_code CHAR(4) NOT NULL,
          name VARCHAR(80) NOT NULL, name_length INT AS (CHAR_LENGTH(name)) VIRTUAL, mood ENUM('sad', 'ok', 'happy'), born YEAR, tags SET('a', 'b', 'c'), photo BLOB,
          active TINYINT(1) NOT NULL DEFAULT 1, flags BIT(10),
          last_update TIMESTAMP(6) NOT NULL DEFAULT '2020-01-01 00:00:00' ON UPDATE CURRENT_TIMESTAMP(6));
        CREATE TABLE payment (payment_id INT NOT NULL, customer_id SMALLINT UNSIGNED, amount DECIMAL(5, 2),
          payment_date DATETIME(6) NOT NULL, PRIMARY KEY (payment_id, payment_date))
          PARTITION BY RANGE (YEAR(payment_date)) (PARTITION p2024 VALUES LESS THAN (2025), PARTITION pmax VALUES LESS THAN MAXVALUE);
        INSERT INTO customer (store_code, name, mood, born, tags, photo, flags)
          SELECT IF(seq % 2 = 0, 'S1', 'S002'), CONCAT('customer ', seq, ' likes café'), ELT(seq % 3 + 1, 'sad', 'ok', 'happy'),
                 1950 + seq % 60, ELT(seq % 3 + 1, 'a', 'a,b', ''), UNHEX(LPAD(HEX(seq), 6, '0')), seq % 1024
            FROM seq_1_to_300;
        INSERT INTO payment SELECT seq, seq % 300 + 1, seq / 7, TIMESTAMP '2024-06-01 00:00:00.5' + INTERVAL seq DAY FROM seq_1_to_400;`);
      dir = mkdtempSync(join(tmpdir(), 'rowferry-appschema-maria-'));
      creds = await enrollDatabase(stack, 'appschema-maria');
      const tables = Object.keys(TABLES).map((name) => ({
        name,
        remoteName: `m_${name}`,
        ...(name === 'payment' ? { key: ['payment_id'] } : {}),
      }));
      agent = configuredAgent(stack, dir, creds, { source: { type: 'mariadb', url: database.url }, tables });
      await agent.source.installTracking(tables);
    });

    afterAll(async () => {
      await agent?.close();
      await source?.end();
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('loads exactly, and track left every last_update as it was', async () => {
      const [[{ n }]] = (await source.query(
        `SELECT COUNT(*) AS n FROM customer WHERE last_update <> '2020-01-01 00:00:00'`,
      )) as unknown as [{ n: number }[]];
      expect(Number(n)).toBe(0);
      await syncRound(agent);
      expect(await differences()).toEqual([]);
    });

    it('application changes and rows written while the insert trigger was gone arrive, exact', async () => {
      await source.query(`
        UPDATE customer SET name = CONCAT(name, ' (moved)'), tags = 'c' WHERE customer_id % 10 = 0;
        DELETE FROM customer WHERE customer_id BETWEEN 290 AND 300;
        UPDATE payment SET amount = amount + 1 WHERE payment_id % 50 = 0;
        INSERT INTO payment (payment_id, customer_id, amount, payment_date) VALUES (1000, 1, 9.99, '2026-03-01 10:00:00');
        DROP TRIGGER _rowferry_customer_insert;
        INSERT INTO customer (store_code, name, mood) VALUES ('S9', 'loaded with the trigger gone', 'ok');
        INSERT INTO customer (store_code, name, mood, _rowferry_version) VALUES ('S9', 'no version at all', 'sad', NULL);`);
      await syncRound(agent);
      expect(await differences()).toEqual([]);
      await agent.source.installTracking([{ name: 'customer' }, { name: 'payment', key: ['payment_id'] }]);
      for (const table of Object.keys(TABLES)) {
        const [verified] = (await agent.verify({ content: true, tables: [table] })).values();
        expect({ table, ...verified }).toMatchObject({ table, found: 0, equal: true });
      }
    });
  });

  describe('on SQLite', () => {
    // A music store's shape: an AUTOINCREMENT key, the application's own last_update and audit triggers, a full-text
    // index kept by triggers (FTS5, external content), generated columns (virtual and stored), a CHECK-constrained
    // enum, a WITHOUT ROWID junction table with a composite key, blobs, NUMERIC prices.
    const KEYS: Record<string, string[]> = {
      artist: ['artist_id'],
      track: ['track_id'],
      playlist_track: ['playlist_id', 'track_id'],
      tag_link: ['kind', 'ref'],
    };
    const SCHEMA = `
      CREATE TABLE artist (artist_id INTEGER PRIMARY KEY AUTOINCREMENT, name NVARCHAR(120) NOT NULL,
        name_upper TEXT GENERATED ALWAYS AS (upper(name)) VIRTUAL, portrait BLOB,
        last_update DATETIME NOT NULL DEFAULT '2020-01-01 00:00:00');
      CREATE TABLE audit (id INTEGER PRIMARY KEY, artist_id INTEGER, old_name TEXT);
      CREATE VIRTUAL TABLE artist_fts USING fts5(name, content = 'artist', content_rowid = 'artist_id');
      CREATE TRIGGER artist_fts_insert AFTER INSERT ON artist
        BEGIN INSERT INTO artist_fts (rowid, name) VALUES (NEW.artist_id, NEW.name); END;
      CREATE TRIGGER artist_fts_delete AFTER DELETE ON artist BEGIN
        INSERT INTO artist_fts (artist_fts, rowid, name) VALUES ('delete', OLD.artist_id, OLD.name); END;
      CREATE TRIGGER artist_fts_update AFTER UPDATE ON artist BEGIN
        INSERT INTO artist_fts (artist_fts, rowid, name) VALUES ('delete', OLD.artist_id, OLD.name);
        INSERT INTO artist_fts (rowid, name) VALUES (NEW.artist_id, NEW.name); END;
      CREATE TRIGGER artist_touched AFTER UPDATE ON artist
        BEGIN UPDATE artist SET last_update = '2030-01-01 00:00:00' WHERE artist_id = NEW.artist_id; END;
      CREATE TRIGGER artist_audit BEFORE UPDATE ON artist
        BEGIN INSERT INTO audit (artist_id, old_name) VALUES (OLD.artist_id, OLD.name); END;
      CREATE TABLE track (track_id INTEGER PRIMARY KEY, name TEXT NOT NULL, artist_id INTEGER REFERENCES artist ON DELETE SET NULL,
        milliseconds INTEGER NOT NULL, unit_price NUMERIC(10, 2), bytes INTEGER, cover BLOB,
        genre TEXT NOT NULL DEFAULT 'rock' CHECK (genre IN ('rock', 'jazz', 'folk')),
        seconds REAL GENERATED ALWAYS AS (milliseconds / 1000.0) STORED);
      CREATE TABLE playlist_track (playlist_id INTEGER NOT NULL, track_id INTEGER NOT NULL, position INTEGER,
        PRIMARY KEY (playlist_id, track_id)) WITHOUT ROWID;
      CREATE TABLE tag_link (kind TEXT NOT NULL, ref INTEGER NOT NULL, tag TEXT, renamed INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (kind, ref));
      CREATE TRIGGER tag_renamed AFTER UPDATE OF tag ON tag_link
        BEGIN UPDATE tag_link SET renamed = renamed + 1 WHERE kind = NEW.kind AND ref = NEW.ref; END;
      WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 300)
        INSERT INTO artist (name, portrait) SELECT 'artist ' || n || ' café', CAST(char(n % 256, 0, 200) AS BLOB) FROM g;
      WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 500)
        INSERT INTO track (track_id, name, artist_id, milliseconds, unit_price, bytes, cover, genre)
        SELECT n, 'track ' || n, n % 300 + 1, 180000 + n * 7, CASE n % 3 WHEN 0 THEN 0.99 ELSE 1.99 END,
               n * 100003, CASE WHEN n % 5 = 0 THEN NULL ELSE zeroblob(n % 7) END, CASE n % 2 WHEN 0 THEN 'jazz' ELSE 'folk' END
          FROM g;
      WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 400)
        INSERT INTO playlist_track SELECT n % 20 + 1, n, n / 20 FROM g;
      WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 100)
        INSERT INTO tag_link (kind, ref, tag) SELECT CASE n % 2 WHEN 0 THEN 'artist' ELSE 'track' END, n, 'tag ' || n % 9 FROM g;`;
    let db: Database.Database;
    /** The same database, never tracked: what the application's own triggers make of the same writes. */
    let twin: Database.Database;
    let agent: SyncAgent;
    let dir: string;
    let creds: Credentials;

    async function differences(): Promise<string[]> {
      const out: string[] = [];
      for (const [table, key] of Object.entries(KEYS))
        out.push(...(await compareTable(join(dir, 'app.db'), stack.databaseUrl, creds.databaseId, table, key)));
      return out;
    }

    /**
     * The application's own values (rowferry's column left out) and its full-text index, which tracking must leave as
     * the twin has them.
     */
    function applicationValues(of: Database.Database): string[] {
      of.exec(`INSERT INTO artist_fts (artist_fts) VALUES ('integrity-check')`); // throws when index and rows disagree
      const found = of.prepare(`SELECT rowid FROM artist_fts WHERE artist_fts MATCH 'moved OR café' ORDER BY rowid`);
      const values = ['artist', 'audit', 'tag_link'].map((table) => {
        const columns = (of.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[])
          .map((c) => c.name)
          .filter((c) => c !== '_rowferry_version');
        return JSON.stringify(
          of
            .prepare(`SELECT ${columns.join(', ')} FROM ${table} ORDER BY 1, 2`)
            .raw()
            .all(),
        );
      });
      return [...values, JSON.stringify(found.pluck().all())];
    }

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'rowferry-appschema-lite-'));
      db = new Database(join(dir, 'app.db'));
      twin = new Database(':memory:');
      db.pragma('journal_mode = WAL');
      db.exec(SCHEMA);
      twin.exec(SCHEMA);
      creds = await enrollDatabase(stack, 'appschema-lite');
      const tables = Object.keys(KEYS).map((name) => ({ name }));
      agent = configuredAgent(stack, dir, creds, { source: { type: 'sqlite', path: 'app.db' }, tables });
      const said = await agent.source.installTracking(tables);
      expect(said.filter((line) => / tracked with a side table/.test(line)).map((line) => line.split(':')[0])).toEqual([
        'artist',
        'playlist_track',
      ]);
    });

    afterAll(async () => {
      await agent?.close();
      db?.close();
      twin?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("loads exactly, every column generated ones included, and track ran none of the application's triggers", async () => {
      expect(applicationValues(db)).toEqual(applicationValues(twin));
      await syncRound(agent);
      expect(await differences()).toEqual([]);
    });

    it("application changes and rows written while rowferry's triggers were gone arrive, with the application's triggers run only by the application", async () => {
      const application = `
        INSERT INTO artist (name, last_update) VALUES ('new artist', '2021-05-05 05:05:05');
        UPDATE artist SET name = name || ' (moved)' WHERE artist_id % 50 = 0;
        DELETE FROM artist WHERE artist_id BETWEEN 290 AND 300;
        INSERT INTO track (track_id, name, artist_id, milliseconds, unit_price, cover, genre)
          VALUES (1000, 'new track', 1, 1, 2.49, x'00ff00', 'jazz');
        UPDATE track SET unit_price = 0.49, cover = x'ff' WHERE track_id % 100 = 0;
        DELETE FROM track WHERE track_id BETWEEN 10 AND 19;
        UPDATE playlist_track SET position = position + 100 WHERE playlist_id = 3;
        DELETE FROM playlist_track WHERE playlist_id = 4;
        UPDATE playlist_track SET track_id = track_id + 1000 WHERE playlist_id = 5;
        UPDATE tag_link SET ref = ref + 1000 WHERE ref <= 10;
        UPDATE tag_link SET tag = 'renamed' WHERE ref BETWEEN 20 AND 24;`;
      db.exec(application);
      twin.exec(application);
      expect(applicationValues(db)).toEqual(applicationValues(twin));
      // Not vacuous: the application's triggers ran for its own updates (each audited twice: its update, then its
      // last_update trigger's), and only for them.
      expect(twin.prepare('SELECT count(*) FROM audit').pluck().get()).toBe(12);
      expect(twin.prepare(`SELECT count(*) FROM artist WHERE last_update = '2030-01-01 00:00:00'`).pluck().get()).toBe(
        5,
      );
      db.exec(`
        DROP TRIGGER _rowferry_track_insert;
        INSERT INTO track (track_id, name, milliseconds) VALUES (1001, 'loaded with the trigger gone', 5);
        DROP TRIGGER _rowferry_playlist_track_insert;
        INSERT INTO playlist_track VALUES (99, 1, 1);`);
      // The pass stamps the row its version column lacks; the side table's missing row is found where a round of the
      // check starts (here, verify's).
      await syncRound(agent);
      const [, track] = Object.entries(KEYS);
      expect(await compareTable(join(dir, 'app.db'), stack.databaseUrl, creds.databaseId, ...track)).toEqual([]);
      for (const table of Object.keys(KEYS)) {
        const [verified] = (await agent.verify({ content: true, tables: [table] })).values();
        expect({ table, ...verified }).toMatchObject({ table, equal: true });
      }
      expect(await differences()).toEqual([]);
      twin.exec(`INSERT INTO track (track_id, name, milliseconds) VALUES (1001, 'loaded with the trigger gone', 5);
        INSERT INTO playlist_track VALUES (99, 1, 1);`);
      expect(applicationValues(db)).toEqual(applicationValues(twin));
    });
  });
});
