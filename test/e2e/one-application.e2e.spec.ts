import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { SyncAgent } from '../../apps/agent/src/agent.js';
import { configuredAgent } from '../../scripts/lib/agent-config.js';
import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';
import { passOverFirstTable, syncRound } from '../support/agent.js';
import { mariadbSource, postgresSource, type SourceDatabase } from '../support/source-databases.js';

const TABLES = ['film', 'language'];

/**
 * One application's schema (a small Sakila) at three customers, on PostgreSQL, MariaDB and SQLite, sharing every table
 * name (docs/sources.md, Fleets): `last_update` is a timestamp, a TIMESTAMP (with a time zone) and a DATETIME (text),
 * `rating` an enum on two engines, `active` a boolean and a TINYINT(1), `name` a char(20) on two and text on SQLite.
 * No tenant is refused, every copy is exact by content as its own source declares it, and each answers its WHERE.
 */
describe('one application on three engines shares every table', () => {
  let stack: Stack;
  let dir: string;
  let remote: pg.Client;
  let pgDatabase: SourceDatabase;
  let mariaDatabase: SourceDatabase;
  const agents: { engine: string; agent: SyncAgent; databaseId: string }[] = [];
  let maria: mysql.Connection;

  beforeAll(async () => {
    // The services' sessions start in another time zone: their transactions must set UTC themselves.
    stack = await startStack('oneapp', 2, { env: { PGOPTIONS: '-c TimeZone=America/New_York' } });
    dir = mkdtempSync(join(tmpdir(), 'rowferry-oneapp-'));
    remote = new pg.Client({ connectionString: stack.databaseUrl });
    await remote.connect();

    pgDatabase = await postgresSource('rowferry_app');
    const pgUrl = pgDatabase.url;
    const source = new pg.Client({ connectionString: pgUrl });
    await source.connect();
    await source.query(`
      CREATE TYPE mpaa_rating AS ENUM ('G', 'PG', 'PG-13', 'R', 'NC-17');
      CREATE TABLE language (language_id integer PRIMARY KEY, name character(20) NOT NULL, last_update timestamp NOT NULL);
      CREATE TABLE film (film_id integer PRIMARY KEY, title varchar(255) NOT NULL, release_year integer, rating mpaa_rating,
        rental_rate numeric(4, 2) NOT NULL, active boolean NOT NULL, last_update timestamp(6) NOT NULL,
        special_features text[]);
      INSERT INTO language VALUES (1, 'English', '2006-02-15 10:02:19'), (2, 'French', '2006-02-15 10:02:19.5');
      INSERT INTO film VALUES
        (1, 'ACADEMY DINOSAUR', 2006, 'PG', 0.99, true, '2006-02-15 05:03:42.123456', '{Trailers,"Deleted Scenes"}'),
        (2, 'ACE GOLDFINGER', 2006, 'G', 4.99, false, '1999-12-31 23:59:59', '{}');`);
    await source.end();

    mariaDatabase = await mariadbSource('rowferry_app');
    maria = await mysql.createConnection({ uri: mariaDatabase.url, multipleStatements: true });
    await maria.query(`SET time_zone = '+00:00';
      CREATE TABLE language (language_id TINYINT UNSIGNED PRIMARY KEY, name CHAR(20) NOT NULL,
        last_update TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP);
      CREATE TABLE film (film_id SMALLINT UNSIGNED PRIMARY KEY, title VARCHAR(255) NOT NULL, release_year YEAR,
        rating ENUM('G','PG','PG-13','R','NC-17') DEFAULT 'G', rental_rate DECIMAL(4,2) NOT NULL, active TINYINT(1) NOT NULL,
        last_update TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
        special_features SET('Trailers','Commentaries','Deleted Scenes','Behind the Scenes'));
      INSERT INTO language VALUES (1, 'English', '2006-02-15 10:02:19'), (3, 'Japanese', '2006-02-15 10:02:19');
      INSERT INTO film VALUES (1, 'ACADEMY DINOSAUR', 2006, 'PG', 0.99, 1, '2006-02-15 05:03:42.5', 'Trailers,Deleted Scenes'),
        (3, 'ADAPTATION HOLES', 2006, 'NC-17', 2.99, 1, '2038-01-19 03:14:07.999999', '');`);

    mkdirSync(join(dir, 'lite'));
    const lite = new Database(join(dir, 'lite', 'app.db'));
    lite.exec(`CREATE TABLE language (language_id INTEGER PRIMARY KEY, name CHAR(20) NOT NULL, last_update DATETIME NOT NULL);
      CREATE TABLE film (film_id INTEGER PRIMARY KEY, title VARCHAR(255) NOT NULL, release_year INTEGER, rating TEXT,
        rental_rate NUMERIC NOT NULL, active BOOLEAN NOT NULL, last_update DATETIME NOT NULL, special_features TEXT);
      INSERT INTO language VALUES (1, 'English', '2006-02-15 10:02:19'), (4, 'Mandarin  ', '2006-02-15 10:02:19');
      INSERT INTO film VALUES (1, 'ACADEMY DINOSAUR', 2006, 'PG', '0.99', 1, '2006-02-15 05:03:42', 'Trailers'),
        (4, 'AFFAIR PREJUDICE', 2006, 'G', '2.99', 0, '2006-02-15 05:03:42', NULL);`);
    lite.close();

    const tables = TABLES.map((name) => ({ name }));
    for (const [engine, source, sub] of [
      ['mariadb', { type: 'mariadb', url: mariaDatabase.url }, 'maria'],
      ['postgres', { type: 'postgres', url: pgUrl }, 'pg'],
      ['sqlite', { type: 'sqlite', path: 'app.db' }, 'lite'],
    ] as const) {
      mkdirSync(join(dir, sub), { recursive: true });
      const creds = await enrollDatabase(stack, `oneapp-${engine}`);
      const agent = configuredAgent(stack, join(dir, sub), creds, { source, tables });
      await agent.source.installTracking(tables);
      agents.push({ engine, agent, databaseId: creds.databaseId });
    }
  });

  afterAll(async () => {
    for (const a of agents) await a.agent.close();
    await maria?.end();
    await mariaDatabase?.drop();
    await remote?.end();
    await stack?.stop();
    await pgDatabase?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('no engine is refused: each table takes every tenant, its columns widened to what all fit in', async () => {
    // One at a time, each checked by content as soon as it has synced: PostgreSQL's naive timestamps go into the
    // timestamptz column MariaDB made, and are read back as they were, before SQLite's text widens it again.
    for (const { engine, agent } of agents) {
      await syncRound(agent);
      const verified = await agent.verify({ content: true });
      for (const table of TABLES)
        expect({ engine, table, ...verified.get(table) }).toMatchObject({ engine, table, found: 0, equal: true });
    }
    const { rows } = await remote.query<{ t: string; c: string; type: string }>(
      `SELECT c.relname AS t, a.attname AS c, format_type(a.atttypid, a.atttypmod) AS type
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'rowferry_data' AND c.relname = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped
          AND a.attname NOT LIKE '\\_rf\\_%'`,
      [TABLES],
    );
    const types = Object.fromEntries(rows.map((r) => [`${r.t}.${r.c}`, r.type]));
    expect(types).toEqual({
      'language.language_id': 'bigint',
      'language.name': 'character varying(20)', // char(20) ∪ SQLite's CHAR(20), which is text
      'language.last_update': 'text', // timestamp ∪ timestamptz ∪ SQLite's DATETIME, which is text
      'film.film_id': 'bigint',
      'film.title': 'character varying(255)',
      'film.release_year': 'bigint',
      'film.rating': 'text',
      'film.rental_rate': 'numeric',
      'film.active': 'boolean',
      'film.last_update': 'text',
      'film.special_features': 'text', // PostgreSQL's text[] ∪ MariaDB's SET ∪ SQLite's TEXT, as their text
    });
  });

  it("every tenant's copy is exact by content, read back as its own source declares it", async () => {
    for (const { engine, agent } of agents) {
      const verified = await agent.verify({ content: true });
      for (const table of TABLES)
        expect({ engine, table, ...verified.get(table) }).toMatchObject({ engine, table, found: 0, equal: true });
    }
  });

  it('each tenant answers its WHERE in the cloud: a char without its padding, a naive time as written, an array as one', async () => {
    const byTenant = async (databaseId: string, sql: string) =>
      (await remote.query(`${sql} AND _rf_database = $1`, [databaseId])).rowCount;
    const [mariaTenant, pgTenant] = agents;
    expect(await byTenant(pgTenant.databaseId, `SELECT 1 FROM rowferry_data.language WHERE name = 'French'`)).toBe(1);
    expect(await byTenant(mariaTenant.databaseId, `SELECT 1 FROM rowferry_data.language WHERE name = 'Japanese'`)).toBe(
      1,
    );
    expect(
      await byTenant(
        pgTenant.databaseId,
        `SELECT 1 FROM rowferry_data.film WHERE last_update::timestamp = '2006-02-15 05:03:42.123456'`,
      ),
    ).toBe(1);
    expect(
      await byTenant(
        mariaTenant.databaseId,
        `SELECT 1 FROM rowferry_data.film WHERE last_update::timestamptz = '2038-01-19 03:14:07.999999+00'`,
      ),
    ).toBe(1);
    // A PostgreSQL array kept as its text reads back as the array: its tenant still asks ANY().
    const features = `SELECT 1 FROM rowferry_data.film WHERE 'Deleted Scenes' = ANY(special_features::text[])`;
    expect(await byTenant(pgTenant.databaseId, features)).toBe(1);
    expect(
      await byTenant(
        mariaTenant.databaseId,
        `SELECT 1 FROM rowferry_data.film WHERE special_features = 'Trailers,Deleted Scenes'`,
      ),
    ).toBe(1);
  });

  it('changes on each engine still travel through the widened columns, exact', async () => {
    await maria.query(`UPDATE film SET rental_rate = 3.99, rating = 'R' WHERE film_id = 3`);
    const pgTenant = agents[1];
    const source = new pg.Client({ connectionString: pgDatabase.url });
    await source.connect();
    await source.query(
      `UPDATE language SET name = 'Français', last_update = '2024-02-29 12:00:00' WHERE language_id = 2`,
    );
    await source.end();
    for (const { agent } of agents) await passOverFirstTable(agent);
    for (const { engine, agent } of agents) {
      const verified = await agent.verify({ content: true });
      for (const table of TABLES)
        expect({ engine, table, ...verified.get(table) }).toMatchObject({ engine, table, found: 0, equal: true });
    }
    const { rows } = await remote.query(
      `SELECT name::text, last_update FROM rowferry_data.language WHERE _rf_database = $1 AND language_id = 2`,
      [pgTenant.databaseId],
    );
    expect(rows).toEqual([{ name: 'Français', last_update: '2024-02-29 12:00:00' }]);
  });
});
