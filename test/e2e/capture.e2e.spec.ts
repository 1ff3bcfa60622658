import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { SyncAgent } from '../../apps/agent/src/agent.js';
import { loadAgentConfig } from '../../apps/agent/src/config.js';
import { statusRows } from '../../apps/agent/src/status-rows.js';
import { quoteIdent } from '#contracts';
import { configuredAgent, type Credentials } from '../../scripts/lib/agent-config.js';
import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';
import { compareTable } from '../../scripts/lib/compare.js';
import { passOverFirstTable, syncRound } from '../support/agent.js';
import { mariadbSource, postgresSource, type SourceDatabase } from '../support/source-databases.js';

/**
 * Rows written where no trigger fires (docs/sources.md, Writes that escape the triggers) get a version and travel,
 * and neither `status` nor `verify` calls a copy equal while the counts say otherwise. Each escape is made on a synced
 * table, then shown repaired within two passes, every column compared.
 */
describe('capture: every row has a version, whoever wrote it', () => {
  let stack: Stack;
  let remote: pg.Client;

  beforeAll(async () => {
    stack = await startStack('capture', 2);
    remote = new pg.Client({ connectionString: stack.databaseUrl, options: '-c TimeZone=UTC -c DateStyle=ISO,YMD' });
    await remote.connect();
  });

  afterAll(async () => {
    await remote?.end();
    await stack?.stop();
  });

  /** The tenant's remote rows of a table, every column as text, in key order. */
  async function remoteRows(table: string, columns: string[], creds: Credentials): Promise<string[]> {
    const list = columns.map((c) => `${quoteIdent(c)}::text`).join(', ');
    const { rows } = await remote.query({
      text: `SELECT ${list} FROM rowferry_data.${quoteIdent(table)} WHERE _rf_database = $1 ORDER BY 1`,
      values: [creds.databaseId],
      rowMode: 'array',
    });
    return rows.map((r) => JSON.stringify(r));
  }

  async function stateOf(agent: SyncAgent, dir: string): Promise<{ state: string; reason?: string }> {
    const [row] = await statusRows(loadAgentConfig(join(dir, 'agent.json')), agent.source, agent.api);
    return { state: row.state, reason: row.reason };
  }

  describe('PostgreSQL: legacy partitioning by INSERT rules, triggers off, a child made after track', () => {
    const COLUMNS = ['id', 'customer', 'total', 'last_update'];
    let database: SourceDatabase;
    let source: pg.Client;
    let agent: SyncAgent;
    let dir: string;
    let creds: Credentials;

    async function differences(): Promise<string[]> {
      const list = COLUMNS.map((c) => `${quoteIdent(c)}::text`).join(', ');
      const local = (await source.query({ text: `SELECT ${list} FROM orders ORDER BY 1`, rowMode: 'array' })).rows.map(
        (r) => JSON.stringify(r),
      );
      const theirs = await remoteRows('orders', COLUMNS, creds);
      return [
        ...local.filter((r) => !theirs.includes(r)).map((r) => `local ${r}`),
        ...theirs.filter((r) => !local.includes(r)).map((r) => `remote ${r}`),
      ];
    }

    beforeAll(async () => {
      database = await postgresSource('rowferry_capture');
      const url = database.url;
      source = new pg.Client({ connectionString: url, options: '-c TimeZone=UTC -c DateStyle=ISO,YMD' });
      await source.connect();
      // An application's own shape: a parent read whole, children by year filled through rules, and its own trigger
      // that sets last_update on every update.
      await source.query(`
        CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL, total numeric(12, 2), last_update timestamp NOT NULL DEFAULT now());
        CREATE TABLE orders_2024 (CHECK (id BETWEEN 2024000 AND 2024999)) INHERITS (orders);
        CREATE TABLE orders_2025 (CHECK (id BETWEEN 2025000 AND 2025999)) INHERITS (orders);
        ALTER TABLE orders_2024 ADD PRIMARY KEY (id);
        ALTER TABLE orders_2025 ADD PRIMARY KEY (id);
        CREATE RULE orders_2024_insert AS ON INSERT TO orders WHERE NEW.id BETWEEN 2024000 AND 2024999
          DO INSTEAD INSERT INTO orders_2024 VALUES (NEW.*);
        CREATE RULE orders_2025_insert AS ON INSERT TO orders WHERE NEW.id BETWEEN 2025000 AND 2025999
          DO INSTEAD INSERT INTO orders_2025 VALUES (NEW.*);
        CREATE FUNCTION touch_last_update() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN NEW.last_update := '2099-01-01'; RETURN NEW; END $$;
        CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch_last_update();
        CREATE TRIGGER orders_touch BEFORE UPDATE ON orders_2024 FOR EACH ROW EXECUTE FUNCTION touch_last_update();
        INSERT INTO orders SELECT g, 'c' || g, g / 4.0, '2020-01-01' FROM generate_series(1, 200) g;
        INSERT INTO orders SELECT g, 'c' || g, g / 4.0, '2024-01-01' FROM generate_series(2024000, 2024099) g;
        INSERT INTO orders SELECT g, 'c' || g, g / 4.0, '2025-01-01' FROM generate_series(2025000, 2025049) g;`);
      dir = mkdtempSync(join(tmpdir(), 'rowferry-capture-pg-'));
      creds = await enrollDatabase(stack, 'capture-pg');
      agent = configuredAgent(stack, dir, creds, {
        source: { type: 'postgres', url },
        tables: [{ name: 'orders' }],
      });
      const said = await agent.source.installTracking([{ name: 'orders' }]);
      expect(said.join('\n')).toMatch(/inheritance children .*orders_2024.*orders_2025/);
      // Numbering the existing rows did not run the application's update trigger (which sets 2099-01-01).
      const touched = await source.query(`SELECT count(*)::int AS n FROM orders WHERE last_update = '2099-01-01'`);
      expect(touched.rows[0].n).toBe(0);
      await syncRound(agent);
      expect(await differences()).toEqual([]);
    });

    afterAll(async () => {
      await agent?.close();
      await source?.end();
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('a row a rule puts into a child, and its update and delete, travel', async () => {
      await source.query(
        `INSERT INTO orders VALUES (2024500, 'by rule', 1, '2024-06-01'), (2025500, 'by rule', 2, '2025-06-01')`,
      );
      await source.query(`UPDATE orders SET total = 99 WHERE id = 2024001`);
      await source.query(`DELETE FROM orders WHERE id = 2025001`);
      const pass = await passOverFirstTable(agent);
      expect(pass.uploaded).toBeGreaterThanOrEqual(3);
      expect(pass.deleted).toBe(1);
      expect(await differences()).toEqual([]);
    });

    it('a child made after track takes versions at once and is tracked by the next pass', async () => {
      await source.query(`CREATE TABLE orders_2026 (CHECK (id BETWEEN 2026000 AND 2026999)) INHERITS (orders);
        CREATE RULE orders_2026_insert AS ON INSERT TO orders WHERE NEW.id BETWEEN 2026000 AND 2026999
          DO INSTEAD INSERT INTO orders_2026 VALUES (NEW.*);
        INSERT INTO orders VALUES (2026000, 'new child', 3, '2026-01-01'), (2026001, 'new child', 4, '2026-01-01');`);
      const first = await passOverFirstTable(agent);
      expect(first.notes.join('\n')).toMatch(/tracking installed on new inheritance children: orders_2026/);
      expect(await differences()).toEqual([]);
      const indexes = async () =>
        (
          await source.query(
            `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
              WHERE i.indrelid = 'orders_2026'::regclass AND a.attname = '_rowferry_version'`,
          )
        ).rows;
      expect(await indexes()).toEqual([{ valid: true }]);
      // A concurrent build cut short leaves an invalid index (made so by hand here): the next pass builds it again.
      await source.query(`UPDATE pg_index SET indisvalid = false WHERE indrelid = 'orders_2026'::regclass`);
      await passOverFirstTable(agent);
      expect(await indexes()).toEqual([{ valid: true }]);
      await source.query(`UPDATE orders SET customer = 'changed' WHERE id = 2026000`);
      await source.query(`DELETE FROM orders WHERE id = 2026001`);
      await passOverFirstTable(agent);
      expect(await differences()).toEqual([]);
    });

    it('inserts with triggers off (session_replication_role = replica) take a version and travel', async () => {
      await source.query(`SET session_replication_role = replica`);
      await source.query(
        `INSERT INTO orders VALUES (900, 'replica', 5, '2021-01-01'), (2024600, 'replica', 6, '2024-01-01')`,
      );
      await source.query(`SET session_replication_role = DEFAULT`);
      const { rows } = await source.query(`SELECT count(*)::int AS n FROM orders WHERE _rowferry_version IS NULL`);
      expect(rows[0].n).toBe(0);
      await passOverFirstTable(agent);
      expect(await differences()).toEqual([]);
    });

    it("a row written without a version makes status and verify say so, then travels within two passes, the application's triggers not fired", async () => {
      // A loader that writes the version column itself, empty, with rowferry's trigger disabled: the default does not
      // apply and nothing stamps the row.
      await source.query(`ALTER TABLE orders DISABLE TRIGGER _rowferry_version;
        ALTER TABLE orders_2024 DISABLE TRIGGER _rowferry_version;
        INSERT INTO orders (id, customer, total, last_update, _rowferry_version)
          VALUES (901, 'no version', 7, '2021-02-02', NULL);
        INSERT INTO orders_2024 (id, customer, total, last_update, _rowferry_version)
          VALUES (2024601, 'no version', 8, '2024-02-02', NULL);
        ALTER TABLE orders ENABLE TRIGGER _rowferry_version;
        ALTER TABLE orders_2024 ENABLE TRIGGER _rowferry_version;`);
      const before = await stateOf(agent, dir);
      expect(before.state).toBe('unversioned');
      expect(before.reason).toMatch(/^2 local row\(s\) have no version/);

      const first = await passOverFirstTable(agent);
      expect(first.stamped).toBe(2);
      if ((await differences()).length) await passOverFirstTable(agent);
      expect(await differences()).toEqual([]);
      // Stamped under session_replication_role = replica: the application's update trigger did not run.
      const { rows } = await source.query(
        `SELECT last_update::text AS t FROM orders WHERE id IN (901, 2024601) ORDER BY id`,
      );
      expect(rows.map((r) => r.t)).toEqual(['2021-02-02 00:00:00', '2024-02-02 00:00:00']);

      await syncRound(agent);
      await syncRound(agent);
      expect(await stateOf(agent, dir)).toEqual({ state: 'equal', reason: undefined });
      const [verified] = (await agent.verify({ content: true })).values();
      expect(verified).toMatchObject({ equal: true, verdict: 'equal' });
    });

    it('a row is synced once: a tracked child is refused as a table of its own, and a parent whose child is tracked alone is refused too', async () => {
      await expect(agent.source.installTracking([{ name: 'orders_2025' }])).rejects.toThrow(
        /table "orders_2025" is already tracked as an inheritance child of another table/,
      );
      // A child tracked alone first (by an agent before this check, say) makes the parent's pass refuse, naming it.
      await source.query(`CREATE TABLE orders_2027 (CHECK (id BETWEEN 2027000 AND 2027999)) INHERITS (orders)`);
      await source.query(`ALTER TABLE orders_2027 ADD PRIMARY KEY (id)`);
      await source.query(`CREATE FUNCTION _rowferry.log_orders_2027_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
        CREATE TRIGGER _rowferry_delete AFTER DELETE ON orders_2027 FOR EACH ROW EXECUTE FUNCTION _rowferry.log_orders_2027_delete()`);
      const report = await agent.cycle();
      expect(report.tables[0]).toMatchObject({
        table: 'orders',
        error: expect.stringMatching(/inheritance children already tracked for another table \(orders_2027\)/),
      });
    });
  });

  describe('PostgreSQL as an agent role that is not a superuser', () => {
    const role = `rowferry_agent_${randomBytes(4).toString('hex')}`;
    let database: SourceDatabase;
    let owner: pg.Client;
    let agent: SyncAgent;
    let dir: string;
    let creds: Credentials;

    beforeAll(async () => {
      database = await postgresSource('rowferry_capture_role');
      owner = new pg.Client({ connectionString: database.url });
      await owner.connect();
      // The agent's role owns the table it tracks (it alters it) and nothing else; the application's trigger sets
      // last_update on every update.
      await owner.query(`CREATE ROLE ${role} LOGIN;
        GRANT CREATE ON DATABASE ${quoteIdent(new URL(database.url).pathname.slice(1))} TO ${role};
        GRANT USAGE, CREATE ON SCHEMA public TO ${role};
        CREATE TABLE orders (id bigint PRIMARY KEY, customer text, last_update timestamp NOT NULL DEFAULT '2020-01-01');
        CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.last_update := '2099-01-01'; RETURN NEW; END $$;
        CREATE TRIGGER touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();
        INSERT INTO orders (id, customer) SELECT g, 'c' || g FROM generate_series(1, 50) g;
        ALTER TABLE orders OWNER TO ${role};`);
      const url = new URL(database.url);
      url.username = role;
      dir = mkdtempSync(join(tmpdir(), 'rowferry-capture-role-'));
      creds = await enrollDatabase(stack, 'capture-role');
      agent = configuredAgent(stack, dir, creds, {
        source: { type: 'postgres', url: url.toString() },
        tables: [{ name: 'orders' }],
      });
    });

    afterAll(async () => {
      await agent?.close();
      await owner?.end();
      await database?.drop();
      const admin = new pg.Client({ connectionString: database.url.replace(/\/[^/]*$/, '/postgres') });
      await admin.connect();
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
      rmSync(dir, { recursive: true, force: true });
    });

    it("may not set session_replication_role: track and the stamp say so, and the application's triggers run", async () => {
      const said = await agent.source.installTracking([{ name: 'orders' }]);
      expect(said.join('\n')).toMatch(
        /versioned 50 existing rows \(the application's own update triggers ran for them/,
      );
      await syncRound(agent);
      await owner.query(`ALTER TABLE orders DISABLE TRIGGER _rowferry_version;
        INSERT INTO orders (id, customer, _rowferry_version) VALUES (51, 'no version', NULL);
        ALTER TABLE orders ENABLE TRIGGER _rowferry_version;`);
      const pass = await passOverFirstTable(agent);
      expect(pass.stamped).toBe(1);
      expect(pass.uploaded).toBe(1);
      const { rows } = await owner.query(`SELECT last_update::text AS t FROM orders WHERE id = 51`);
      expect(rows[0].t).toBe('2099-01-01 00:00:00'); // the documented price of the missing right
    });

    it('a new inheritance child it may not add triggers to fails the pass, naming the child', async () => {
      await owner.query(`CREATE TABLE orders_2030 () INHERITS (orders)`); // owned by another role
      const report = await agent.cycle();
      expect(report.tables[0]).toMatchObject({
        table: 'orders',
        error: expect.stringMatching(
          /inheritance children without version tracking \(orders_2030\).*run "rowferry-agent track" as a role that may alter them/,
        ),
      });
    });
  });

  describe("MariaDB: rows written while rowferry's insert trigger was gone", () => {
    let database: SourceDatabase;
    let source: mysql.Connection;
    let agent: SyncAgent;
    let dir: string;
    let creds: Credentials;

    async function differences(): Promise<string[]> {
      const [rows] = await source.query({
        sql: `SELECT CAST(id AS CHAR), customer, CAST(total AS CHAR), DATE_FORMAT(last_update, '%Y-%m-%d %H:%i:%s') FROM m_orders ORDER BY id`,
        rowsAsArray: true,
      });
      const local = (rows as unknown[][]).map((r) => JSON.stringify(r));
      const { rows: theirs } = await remote.query({
        text: `SELECT id::text, customer, total::text, to_char(last_update AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
                 FROM rowferry_data.m_orders WHERE _rf_database = $1 ORDER BY id`,
        values: [creds.databaseId],
        rowMode: 'array',
      });
      const cloud = theirs.map((r) => JSON.stringify(r));
      return [
        ...local.filter((r) => !cloud.includes(r)).map((r) => `local ${r}`),
        ...cloud.filter((r) => !local.includes(r)).map((r) => `remote ${r}`),
      ];
    }

    const lastUpdates = async () =>
      (
        (await source.query(
          `SELECT DATE_FORMAT(last_update, '%Y-%m-%d %H:%i:%s') AS t FROM m_orders ORDER BY id`,
        )) as unknown as [{ t: string }[]]
      )[0].map((r) => r.t);

    beforeAll(async () => {
      database = await mariadbSource('rowferry_capture');
      source = await mysql.createConnection({ uri: database.url, multipleStatements: true });
      await source.query(`SET time_zone = '+00:00'`);
      // Sakila's shape: last_update changes itself on every update.
      await source.query(`CREATE TABLE m_orders (id INT PRIMARY KEY, customer VARCHAR(40) NOT NULL, total DECIMAL(12, 2),
        last_update TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP) ENGINE=InnoDB`);
      await source.query(
        `INSERT INTO m_orders SELECT seq, CONCAT('c', seq), seq / 4, '2020-01-01 00:00:00' FROM seq_1_to_300`,
      );
      dir = mkdtempSync(join(tmpdir(), 'rowferry-capture-maria-'));
      creds = await enrollDatabase(stack, 'capture-maria');
      agent = configuredAgent(stack, dir, creds, {
        source: { type: 'mariadb', url: database.url },
        tables: [{ name: 'm_orders' }],
      });
      await agent.source.installTracking([{ name: 'm_orders' }]);
    });

    afterAll(async () => {
      await agent?.close();
      await source?.end();
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("track numbers the existing rows without changing the application's self-updating columns", async () => {
      expect(new Set(await lastUpdates())).toEqual(new Set(['2020-01-01 00:00:00']));
      await syncRound(agent);
      expect(await differences()).toEqual([]);
    });

    it('rows inserted without the trigger take a version from the default, or are stamped by the pass', async () => {
      // A tool that drops triggers while it loads (or a replica applying an untracked primary's rows).
      await source.query(`DROP TRIGGER _rowferry_m_orders_insert`);
      await source.query(
        `INSERT INTO m_orders (id, customer, total, last_update, _rowferry_version) VALUES (1002, 'no version', 2, '2021-01-02', NULL)`,
      );
      expect(await stateOf(agent, dir)).toMatchObject({ state: 'unversioned' });
      await source.query(
        `INSERT INTO m_orders (id, customer, total, last_update) VALUES (1001, 'by default', 1, '2021-01-01')`,
      );
      expect(await stateOf(agent, dir)).toMatchObject({ state: 'sending' }); // the default gave it a version

      const first = await passOverFirstTable(agent);
      expect(first.stamped).toBe(1);
      if ((await differences()).length) await passOverFirstTable(agent);
      expect(await differences()).toEqual([]);
      expect((await lastUpdates()).slice(-2)).toEqual(['2021-01-01 00:00:00', '2021-01-02 00:00:00']);

      await agent.source.installTracking([{ name: 'm_orders' }]); // the trigger back
      await syncRound(agent);
      await syncRound(agent);
      expect(await stateOf(agent, dir)).toEqual({ state: 'equal', reason: undefined });
    });
  });

  describe('SQLite: a row whose version was cleared', () => {
    let db: Database.Database;
    let agent: SyncAgent;
    let dir: string;
    let creds: Credentials;
    const differences = () =>
      compareTable(join(dir, 'shop.db'), stack.databaseUrl, creds.databaseId, 's_orders', ['id']);

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'rowferry-capture-sqlite-'));
      db = new Database(join(dir, 'shop.db'));
      db.exec(`CREATE TABLE s_orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, total NUMERIC);
        WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 200)
        INSERT INTO s_orders SELECT n, 'c' || n, n / 4.0 FROM g;`);
      creds = await enrollDatabase(stack, 'capture-sqlite');
      agent = configuredAgent(stack, dir, creds, {
        source: { type: 'sqlite', path: 'shop.db' },
        tables: [{ name: 's_orders' }],
      });
      await agent.source.installTracking([{ name: 's_orders' }]);
      await syncRound(agent);
      expect(await differences()).toEqual([]);
    });

    afterAll(async () => {
      await agent?.close();
      db?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('is counted by status, stamped by the next pass and sent', async () => {
      // Rows copied in by a tool that writes every column, the version empty, with rowferry's triggers gone.
      db.exec(`DROP TRIGGER _rowferry_s_orders_insert;
        INSERT INTO s_orders (id, customer, total, _rowferry_version) VALUES (500, 'copied in', 1, NULL);`);
      await agent.source.installTracking([{ name: 's_orders' }]); // triggers back; track numbers the row itself
      await passOverFirstTable(agent);
      db.exec(`DROP TRIGGER _rowferry_s_orders_insert;
        INSERT INTO s_orders (id, customer, total, _rowferry_version) VALUES (501, 'copied in', 2, NULL);`);
      expect(await stateOf(agent, dir)).toMatchObject({ state: 'unversioned' });
      const first = await passOverFirstTable(agent);
      expect(first.stamped).toBe(1);
      if ((await differences()).length) await passOverFirstTable(agent);
      expect(await differences()).toEqual([]);
      await agent.source.installTracking([{ name: 's_orders' }]);
    });
  });
});
