import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { SyncAgent } from '../../apps/agent/src/agent.js';
import type { SourceTable, TableToTrack } from '../../apps/agent/src/sources/source.js';
import { quoteIdent } from '#contracts';
import { configuredAgent, type Credentials } from '../../scripts/lib/agent-config.js';
import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';
import { passOverFirstTable, syncRound } from '../support/agent.js';
import { mariadbSource, postgresSource, type SourceDatabase } from '../support/source-databases.js';

/**
 * Types keep their meaning (docs/sources.md, Types and their meaning). `char(n)`: its padding is not part of its
 * value, so the cloud answers `WHERE name = 'French'` as the source does, from PostgreSQL (which sends the padding)
 * and MariaDB (which does not) alike. A domain is its base type: `WHERE founded = 1958` works in the cloud. A table
 * earlier agents registered with such columns as text (char(n) as padded varchar(n)) is taken over without a refusal.
 */
describe('column types', () => {
  let stack: Stack;
  let remote: pg.Client;
  let dir: string;

  beforeAll(async () => {
    stack = await startStack('coltypes', 2);
    remote = new pg.Client({ connectionString: stack.databaseUrl });
    await remote.connect();
    dir = mkdtempSync(join(tmpdir(), 'rowferry-char-'));
  });

  afterAll(async () => {
    await remote?.end();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const remoteType = async (table: string, column: string) =>
    (
      await remote.query<{ t: string }>(
        `SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2`,
        [`rowferry_data.${table}`, column],
      )
    ).rows[0].t;

  /** The tenant's remote rows matching `where`, as (code, name) text. */
  const remoteWhere = async (table: string, creds: Credentials, where: string) =>
    (
      await remote.query<{ code: string; name: string }>(
        `SELECT code::text AS code, name::text AS name FROM rowferry_data.${quoteIdent(table)} WHERE _rf_database = $1 AND ${where} ORDER BY 1`,
        [creds.databaseId],
      )
    ).rows;

  describe('from PostgreSQL', () => {
    let database: SourceDatabase;
    let source: pg.Client;
    let agent: SyncAgent;
    let creds: Credentials;

    beforeAll(async () => {
      database = await postgresSource('rowferry_char');
      const url = database.url;
      source = new pg.Client({ connectionString: url });
      await source.connect();
      await source.query(`
        CREATE DOMAIN year AS integer CHECK (VALUE > 0);
        CREATE TABLE countries (code char(2) PRIMARY KEY, name char(20) NOT NULL, founded year);
        INSERT INTO countries VALUES ('fr', 'France', 1958), ('de', 'Germany', 1949), ('u', 'a one-letter code', NULL),
          ('x', '  leading', 1);
        CREATE TABLE languages (code char(2) PRIMARY KEY, name char(20) NOT NULL, since year);
        INSERT INTO languages VALUES ('fr', 'French', 1635), ('en', 'English', NULL), ('e', 'one letter', 7);`);
      creds = await enrollDatabase(stack, 'char-pg');
      agent = configuredAgent(stack, dir, creds, {
        source: { type: 'postgres', url },
        tables: [{ name: 'countries' }],
      });
      await agent.source.installTracking([{ name: 'countries' }, { name: 'languages' }]);
    });

    afterAll(async () => {
      await agent?.close();
      await source?.end();
      await database?.drop();
    });

    it('char(n) and a domain arrive as char(n) and the base type: the cloud answers the same WHERE as the source, equal by content', async () => {
      await syncRound(agent);
      expect(await remoteType('countries', 'name')).toBe('character(20)');
      expect(await remoteType('countries', 'code')).toBe('character(2)');
      expect(await remoteWhere('countries', creds, `name = 'France'`)).toEqual([{ code: 'fr', name: 'France' }]);
      expect(await remoteWhere('countries', creds, `code = 'u'`)).toHaveLength(1);
      expect(await remoteWhere('countries', creds, `name = 'leading'`)).toEqual([]); // leading blanks count
      expect(await remoteType('countries', 'founded')).toBe('bigint'); // the domain's base type
      expect(await remoteWhere('countries', creds, `founded = 1958`)).toEqual([{ code: 'fr', name: 'France' }]);
      const verified = await agent.verify({ content: true });
      expect(verified.get('countries')).toMatchObject({ found: 0, equal: true });
      await source.query(`UPDATE countries SET name = 'République française' WHERE code = 'fr'`);
      await source.query(`DELETE FROM countries WHERE code = 'u'`);
      await syncRound(agent);
      expect(await remoteWhere('countries', creds, `code = 'fr'`)).toEqual([
        { code: 'fr', name: 'République française' },
      ]);
      expect(await remoteWhere('countries', creds, `code = 'u'`)).toEqual([]);
    });

    it('a table an earlier agent registered with text for them (char(n) as padded varchar(n)) is taken over: values unpadded, keys one row each, no refusal', async () => {
      // An agent from before char(n) and domains had types of their own: the same rows, the char(n) declared
      // varchar(n) and sent padded, the domain declared text.
      const describe = agent.source.describe.bind(agent.source);
      const asEarlier = async (table: TableToTrack): Promise<SourceTable> => {
        const t = await describe(table);
        const earlier = (c: SourceTable['columns'][number]) =>
          c.type === 'char'
            ? { ...c, type: 'text' as const }
            : c.name === 'since'
              ? { name: c.name, type: 'text' as const }
              : c;
        return { ...t, columns: t.columns.map(earlier) };
      };
      const earlier = configuredAgent(stack, mkdtempSync(join(tmpdir(), 'rowferry-char-old-')), creds, {
        source: { type: 'postgres', url: database.url },
        tables: [{ name: 'languages' }],
      });
      earlier.source.describe = asEarlier;
      try {
        await syncRound(earlier);
      } finally {
        await earlier.close();
      }
      expect(await remoteType('languages', 'name')).toBe('character varying(20)');
      expect(await remoteType('languages', 'since')).toBe('text');
      expect(await remoteWhere('languages', creds, `name = 'French'`)).toEqual([]); // the bug: padded text
      expect(await remoteWhere('languages', creds, `name = 'French              '`)).toHaveLength(1);

      // The current agent: the same table, declared char(n) now.
      const current = configuredAgent(stack, mkdtempSync(join(tmpdir(), 'rowferry-char-new-')), creds, {
        source: { type: 'postgres', url: database.url },
        tables: [{ name: 'languages' }],
      });
      try {
        await passOverFirstTable(current);
        // The shared columns hold either form: left as they are.
        expect(await remoteType('languages', 'name')).toBe('character varying(20)');
        expect(await remoteType('languages', 'since')).toBe('text');
        await checkTakenOver(current);
      } finally {
        await current.close();
      }
    });

    async function checkTakenOver(agent: SyncAgent): Promise<void> {
      expect(await remoteWhere('languages', creds, `name = 'French'`)).toEqual([{ code: 'fr', name: 'French' }]);
      expect(await remoteWhere('languages', creds, `code = 'e'`)).toEqual([{ code: 'e', name: 'one letter' }]);
      await source.query(`UPDATE languages SET name = 'Français', since = 1636 WHERE code = 'fr'`);
      await source.query(`INSERT INTO languages VALUES ('d', 'Deutsch', 1880)`);
      await syncRound(agent);
      await syncRound(agent);
      expect(await remoteWhere('languages', creds, 'true')).toEqual([
        { code: 'd', name: 'Deutsch' },
        { code: 'e', name: 'one letter' },
        { code: 'en', name: 'English' },
        { code: 'fr', name: 'Français' },
      ]);
      expect(await remoteWhere('languages', creds, `since::bigint = 1636`)).toEqual([{ code: 'fr', name: 'Français' }]);
      const verified = await agent.verify({ content: true });
      expect(verified.get('languages')).toMatchObject({ found: 0, equal: true });
      // A later registration (a column added) keeps taking the shared columns as they are.
      await source.query(`ALTER TABLE languages ADD COLUMN note text`);
      await syncRound(agent);
      expect(await remoteType('languages', 'since')).toBe('text');
      expect((await agent.verify({ content: true })).get('languages')).toMatchObject({ found: 0, equal: true });
    }
  });

  describe('from MariaDB', () => {
    let database: SourceDatabase;
    let source: mysql.Connection;
    let agent: SyncAgent;
    let creds: Credentials;

    beforeAll(async () => {
      database = await mariadbSource('rowferry_char');
      source = await mysql.createConnection(database.url);
      await source.query(`CREATE TABLE m_countries (code CHAR(2) PRIMARY KEY, name CHAR(20) NOT NULL)`);
      await source.query(
        `INSERT INTO m_countries VALUES ('fr', 'France'), ('u', 'a one-letter code'), ('x', '  leading')`,
      );
      creds = await enrollDatabase(stack, 'char-maria');
      agent = configuredAgent(stack, mkdtempSync(join(tmpdir(), 'rowferry-char-maria-')), creds, {
        source: { type: 'mariadb', url: database.url },
        tables: [{ name: 'm_countries' }],
      });
      await agent.source.installTracking([{ name: 'm_countries' }]);
    });

    afterAll(async () => {
      await agent?.close();
      await source?.end();
      await database?.drop();
    });

    it('arrives as char(n), answering the same WHERE, equal by content', async () => {
      await syncRound(agent);
      expect(await remoteType('m_countries', 'name')).toBe('character(20)');
      expect(await remoteWhere('m_countries', creds, `name = 'France'`)).toEqual([{ code: 'fr', name: 'France' }]);
      expect(await remoteWhere('m_countries', creds, `code = 'u'`)).toHaveLength(1);
      const verified = await agent.verify({ content: true });
      expect(verified.get('m_countries')).toMatchObject({ found: 0, equal: true });
    });
  });
});
