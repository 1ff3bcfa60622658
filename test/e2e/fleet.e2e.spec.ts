import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { SyncAgent } from '../../apps/agent/src/agent.js';
import { configuredAgent } from '../../scripts/lib/agent-config.js';
import { compareTable } from '../../scripts/lib/compare.js';
import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';

const SERVER = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';

/**
 * One application's table on two engines in one fleet: SQLite keeps its DATETIME as text and its counts as integers,
 * MariaDB as a timestamp and a decimal, with a longer varchar. The shared table widens to what both fit in (text,
 * numeric, varchar(50)) instead of refusing the second tenant, and both copies are exact, by content too.
 */
describe('a mixed-engine fleet sharing one table', () => {
  let stack: Stack;
  let dir: string;
  let remote: pg.Client;
  let maria: mysql.Connection;
  let lite: { agent: SyncAgent; db: string; databaseId: string };
  let mar: { agent: SyncAgent; databaseId: string };
  const dbName = `rowferry_fleet_${randomBytes(4).toString('hex')}`;
  const remoteTypes = async () =>
    Object.fromEntries(
      (
        await remote.query<{ name: string; type: string }>(
          `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
            WHERE attrelid = 'rowferry_data.events'::regclass AND attname IN ('at', 'qty', 'label')`,
        )
      ).rows.map((r) => [r.name, r.type]),
    );

  beforeAll(async () => {
    stack = await startStack('fleet', 2);
    dir = mkdtempSync(join(tmpdir(), 'rowferry-fleet-'));
    remote = new pg.Client({ connectionString: stack.databaseUrl });
    await remote.connect();

    // SQLite, the first version of the application.
    mkdirSync(join(dir, 'lite'));
    const liteDb = join(dir, 'lite', 'app.db');
    const db = new Database(liteDb);
    db.exec(`CREATE TABLE events (id INTEGER PRIMARY KEY, at DATETIME, qty INTEGER, label VARCHAR(20));
      INSERT INTO events VALUES (1, '2024-02-29 12:00:00', 5, 'first'), (2, 'not a date at all', -3, NULL), (3, NULL, NULL, 'x');`);
    db.close();
    const liteCreds = await enrollDatabase(stack, 'fleet-sqlite');
    const liteAgent = configuredAgent(stack, join(dir, 'lite'), liteCreds, {
      source: { type: 'sqlite', path: 'app.db' },
      tables: [{ name: 'events' }],
    });
    await liteAgent.source.installTracking([{ name: 'events' }]);
    lite = { agent: liteAgent, db: liteDb, databaseId: liteCreds.databaseId };

    // MariaDB, a later version: a real timestamp, a decimal quantity, a longer label.
    const admin = await mysql.createConnection(SERVER);
    await admin.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4`);
    await admin.end();
    maria = await mysql.createConnection({ uri: `${SERVER}/${dbName}`, dateStrings: true, timezone: 'Z' });
    await maria.query(
      `CREATE TABLE events (id BIGINT PRIMARY KEY, at DATETIME(6), qty DECIMAL(12, 2), label VARCHAR(50))`,
    );
    await maria.query(
      `INSERT INTO events VALUES (1, '2024-02-29 12:00:00.5', 2.25, 'a label longer than twenty characters'), (7, '1999-12-31 23:59:59', 0, NULL)`,
    );
    mkdirSync(join(dir, 'maria'));
    const marCreds = await enrollDatabase(stack, 'fleet-mariadb');
    const marAgent = configuredAgent(stack, join(dir, 'maria'), marCreds, {
      source: { type: 'mysql', url: `${SERVER}/${dbName}` },
      tables: [{ name: 'events' }],
    });
    await marAgent.source.installTracking([{ name: 'events' }]);
    mar = { agent: marAgent, databaseId: marCreds.databaseId };
  });

  afterAll(async () => {
    await lite?.agent.close();
    await mar?.agent.close();
    await maria?.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
    await maria?.end();
    await remote?.end();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the first tenant makes the table as its types say', async () => {
    const [report] = [await lite.agent.cycle()];
    expect(report.tables).toEqual([expect.objectContaining({ table: 'events', steps: expect.any(Array) })]);
    expect(await remoteTypes()).toEqual({ at: 'text', qty: 'bigint', label: 'character varying(20)' });
  });

  it('the second is not refused: the shared columns widen to types both fit in, and both copies are exact', async () => {
    const report = await mar.agent.cycle();
    expect(report.tables).toEqual([expect.objectContaining({ table: 'events', uploaded: 2 })]);
    expect(await remoteTypes()).toEqual({ at: 'text', qty: 'numeric', label: 'character varying(50)' });
    await lite.agent.cycle();
    expect(await compareTable(lite.db, stack.databaseUrl, lite.databaseId, 'events', ['id'])).toEqual([]);
    const { rows } = await remote.query(
      `SELECT id::int, at, qty::text, label FROM rowferry_data.events WHERE _rf_database = $1 ORDER BY id`,
      [mar.databaseId],
    );
    expect(rows).toEqual([
      { id: 1, at: '2024-02-29 12:00:00.5', qty: '2.25', label: 'a label longer than twenty characters' },
      { id: 7, at: '1999-12-31 23:59:59', qty: '0.00', label: null },
    ]);
  });

  it("each tenant's check by content finds its copy equal, read back as its own types", async () => {
    for (const t of [lite, mar]) {
      const verified = await t.agent.verify({ content: true });
      expect(verified.get('events')).toMatchObject({ found: 0, equal: true, verdict: 'equal' });
    }
    // A change on either side still syncs through the widened columns.
    await maria.query(`UPDATE events SET at = '2025-01-01 00:00:00', qty = 1234567890.12 WHERE id = 7`);
    await mar.agent.cycle();
    const { rows } = await remote.query(
      `SELECT at, qty::text FROM rowferry_data.events WHERE _rf_database = $1 AND id = 7`,
      [mar.databaseId],
    );
    expect(rows).toEqual([{ at: '2025-01-01 00:00:00', qty: '1234567890.12' }]);
    expect((await mar.agent.verify({ content: true })).get('events')).toMatchObject({ found: 0, equal: true });
  });
});
