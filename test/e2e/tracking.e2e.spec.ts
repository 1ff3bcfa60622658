import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { databaseUrl } from '#persistence';
import { MariadbSource } from '../../apps/agent/src/sources/mariadb/mariadb.source.js';
import { PostgresSource } from '../../apps/agent/src/sources/postgres/postgres.source.js';
import { SqliteSource } from '../../apps/agent/src/sources/sqlite/sqlite.source.js';

const SERVER = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';

/** Installing tracking loses nothing while the application writes, and every write gets a fresh version. */
describe('version tracking', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rowferry-tracking-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A throwaway PostgreSQL source database with an application connection and the agent's source on it. */
  async function withPgSource(
    test: (app: pg.Client, source: PostgresSource, url: string) => Promise<void>,
  ): Promise<void> {
    const name = `rowferry_track_${randomBytes(4).toString('hex')}`;
    const adminUrl = databaseUrl().replace(/\/[^/]*$/, '/postgres');
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = adminUrl.replace(/\/postgres$/, `/${name}`);
    const app = new pg.Client({ connectionString: url });
    await app.connect();
    const source = new PostgresSource(url);
    try {
      await test(app, source, url);
    } finally {
      await source.close();
      await app.end();
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
      await admin.end();
    }
  }

  /** Writes rows from a second connection until stopped; resolves to how many it wrote. */
  function writer(insert: (id: number) => Promise<unknown>, firstId: number) {
    let stop = false;
    let id = firstId;
    const done = (async () => {
      while (!stop) await insert(id++);
      return id - firstId;
    })();
    return { stop: async () => ((stop = true), done) };
  }

  it('MariaDB: rows written while track runs all get a version', async () => {
    const name = `rowferry_track_${randomBytes(4).toString('hex')}`;
    const admin = await mysql.createConnection(SERVER);
    await admin.query(`CREATE DATABASE \`${name}\``);
    const app = await mysql.createConnection(`${SERVER}/${name}`);
    const source = new MariadbSource(`${SERVER}/${name}`);
    try {
      await app.query(`CREATE TABLE orders (id BIGINT PRIMARY KEY, note TEXT)`);
      await app.query(`INSERT INTO orders SELECT seq, CONCAT('row ', seq) FROM seq_1_to_200000`);
      const w = writer((id) => app.query(`INSERT INTO orders (id, note) VALUES (?, 'during track')`, [id]), 1_000_000);
      await source.installTracking([{ name: 'orders' }]);
      const written = await w.stop();
      expect(written).toBeGreaterThan(0);
      const [[row]] = (await app.query(
        `SELECT COUNT(*) AS n, COUNT(_rowferry_version) AS versioned, COUNT(DISTINCT _rowferry_version) AS distinct_versions FROM orders`,
      )) as unknown as [{ n: number; versioned: number; distinct_versions: number }[]];
      expect(row).toEqual({ n: 200_000 + written, versioned: 200_000 + written, distinct_versions: 200_000 + written });
    } finally {
      await source.close();
      await app.end();
      await admin.query(`DROP DATABASE \`${name}\``);
      await admin.end();
    }
  });

  it('PostgreSQL: rows written while track runs all get a version', () =>
    withPgSource(async (app, source) => {
      await app.query(`CREATE TABLE orders (id bigint PRIMARY KEY, note text)`);
      await app.query(`INSERT INTO orders SELECT g, 'row ' || g FROM generate_series(1, 200000) g`);
      const w = writer((id) => app.query(`INSERT INTO orders (id, note) VALUES ($1, 'during track')`, [id]), 1_000_000);
      await source.installTracking([{ name: 'orders' }]);
      const written = await w.stop();
      expect(written).toBeGreaterThan(0);
      const { rows } = await app.query(
        `SELECT count(*)::int AS n, count(_rowferry_version)::int AS versioned, count(DISTINCT _rowferry_version)::int AS distinct_versions FROM orders`,
      );
      expect(rows[0]).toEqual({
        n: 200_000 + written,
        versioned: 200_000 + written,
        distinct_versions: 200_000 + written,
      });
    }));

  it('PostgreSQL: a row written back with an old version gets a fresh one; after a restore the safe watermark is proven again', () =>
    withPgSource(async (app, source, url) => {
      const open = new pg.Client({ connectionString: url });
      await open.connect();
      try {
        await app.query(`CREATE TABLE orders (id bigint PRIMARY KEY, note text)`);
        await app.query(`INSERT INTO orders SELECT g, 'row ' || g FROM generate_series(1, 10) g`);
        await source.installTracking([{ name: 'orders' }]);
        const old = (await app.query(`SELECT _rowferry_version AS v FROM orders WHERE id = 1`)).rows[0].v;
        await app.query(`UPDATE orders SET note = 'other writer' WHERE id = 1`);
        await app.query(`UPDATE orders SET note = 'written back', _rowferry_version = $1 WHERE id = 1`, [old]);
        const { rows } = await app.query(
          `SELECT _rowferry_version::int AS v, (SELECT last_value::int FROM _rowferry.version_seq) AS counter FROM orders WHERE id = 1`,
        );
        expect(rows[0].v).toBe(rows[0].counter);

        // The safe watermark was proven up to the counter; then a restore rewinds the sequence, and a transaction holds
        // a version below the old watermark while a later one commits.
        const before = await source.safeWatermark();
        expect(before).toBe(BigInt(rows[0].counter));
        await app.query(`SELECT setval('_rowferry.version_seq', 3)`);
        await open.query('BEGIN');
        await open.query(`INSERT INTO orders (id, note) VALUES (100, 'uncommitted, version 4')`);
        await app.query(`INSERT INTO orders (id, note) VALUES (101, 'committed, version 5')`);
        await source.resetAfterRestore();
        expect(await source.safeWatermark()).toBeLessThan(4n); // not the old timeline's proof
        await open.query('COMMIT');
      } finally {
        await open.end();
      }
    }));

  it('SQLite: a row written back whole with the version it was read with still gets a fresh version', async () => {
    const path = join(dir, 'app.db');
    const db = new Database(path);
    db.defaultSafeIntegers(true);
    db.exec(`CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT); INSERT INTO orders VALUES (1, 'a'), (2, 'b');`);
    const source = new SqliteSource(path);
    await source.installTracking([{ name: 'orders' }]);
    // The application reads row 1 with SELECT *, another writer changes it, then the first writes it back whole.
    const read = db.prepare(`SELECT * FROM orders WHERE id = 1`).get() as {
      id: bigint;
      note: string;
      _rowferry_version: bigint;
    };
    db.exec(`UPDATE orders SET note = 'other writer' WHERE id = 1`);
    db.prepare(`UPDATE orders SET note = ?, _rowferry_version = ? WHERE id = 1`).run('a2', read._rowferry_version);
    const counter = db.prepare(`SELECT value FROM _rowferry_counter`).pluck().get() as bigint;
    const v1 = db.prepare(`SELECT _rowferry_version FROM orders WHERE id = 1`).pluck().get() as bigint;
    expect(v1).toBe(counter); // the newest version: the ahead path will send it
    // Untouched version column and recursive triggers switched on by the application: still one fresh version.
    db.pragma('recursive_triggers = ON');
    db.exec(`UPDATE orders SET note = 'a3' WHERE id = 1`);
    expect(db.prepare(`SELECT _rowferry_version FROM orders WHERE id = 1`).pluck().get()).toBe(counter + 1n);
    db.close();
    await source.close();
  });
});
