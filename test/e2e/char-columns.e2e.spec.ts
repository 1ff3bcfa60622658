import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { SyncAgent } from '../../apps/agent/src/agent.js';
import type { SourceTable } from '../../apps/agent/src/sources/source.js';
import { quoteIdent } from '#contracts';
import { configuredAgent, type Credentials } from '../../scripts/lib/agent-config.js';
import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';
import { passOverFirstTable, syncRound } from '../support/agent.js';
import { mariadbSource, postgresSource, type SourceDatabase } from '../support/source-databases.js';

/**
 * `char(n)` keeps its meaning (docs/sources.md, Types and their meaning): its padding is not part of its value, so
 * the cloud answers `WHERE name = 'French'` as the source does, from PostgreSQL (which sends the padding) and MariaDB
 * (which does not) alike; a table earlier agents registered as padded varchar(n) is taken over without a refusal.
 */
describe('char(n) columns', () => {
  let stack: Stack;
  let remote: pg.Client;
  let dir: string;

  beforeAll(async () => {
    stack = await startStack('charcols', 2);
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
        CREATE TABLE countries (code char(2) PRIMARY KEY, name char(20) NOT NULL);
        INSERT INTO countries VALUES ('fr', 'France'), ('de', 'Germany'), ('u', 'a one-letter code'), ('x', '  leading');
        CREATE TABLE languages (code char(2) PRIMARY KEY, name char(20) NOT NULL);
        INSERT INTO languages VALUES ('fr', 'French'), ('en', 'English'), ('e', 'one letter');`);
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

    it('arrives as char(n): the cloud answers the same WHERE as the source, and a content check finds it equal', async () => {
      await syncRound(agent);
      expect(await remoteType('countries', 'name')).toBe('character(20)');
      expect(await remoteType('countries', 'code')).toBe('character(2)');
      expect(await remoteWhere('countries', creds, `name = 'France'`)).toEqual([{ code: 'fr', name: 'France' }]);
      expect(await remoteWhere('countries', creds, `code = 'u'`)).toHaveLength(1);
      expect(await remoteWhere('countries', creds, `name = 'leading'`)).toEqual([]); // leading blanks count
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

    it('a table an earlier agent registered as padded varchar(n) is taken over: its stored values lose the padding, its keys stay one row each', async () => {
      // An agent from before char(n) had a type of its own: the same rows, declared varchar(n), sent padded.
      const describe = agent.source.describe.bind(agent.source);
      const asEarlier = async (table: string, key?: string[]): Promise<SourceTable> => {
        const t = await describe(table, key);
        return { ...t, columns: t.columns.map((c) => (c.type === 'char' ? { ...c, type: 'text' } : c)) };
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
      expect(await remoteWhere('languages', creds, `name = 'French'`)).toEqual([]); // the bug: padded text
      expect(await remoteWhere('languages', creds, `name = 'French              '`)).toHaveLength(1);

      // The current agent: the same table, declared char(n) now.
      const current = configuredAgent(stack, mkdtempSync(join(tmpdir(), 'rowferry-char-new-')), creds, {
        source: { type: 'postgres', url: database.url },
        tables: [{ name: 'languages' }],
      });
      try {
        await passOverFirstTable(current);
        expect(await remoteType('languages', 'name')).toBe('character varying(20)'); // holds either: left as it is
        await checkTakenOver(current);
      } finally {
        await current.close();
      }
    });

    async function checkTakenOver(agent: SyncAgent): Promise<void> {
      expect(await remoteWhere('languages', creds, `name = 'French'`)).toEqual([{ code: 'fr', name: 'French' }]);
      expect(await remoteWhere('languages', creds, `code = 'e'`)).toEqual([{ code: 'e', name: 'one letter' }]);
      await source.query(`UPDATE languages SET name = 'Français' WHERE code = 'fr'`);
      await source.query(`INSERT INTO languages VALUES ('d', 'Deutsch')`);
      await syncRound(agent);
      await syncRound(agent);
      expect(await remoteWhere('languages', creds, 'true')).toEqual([
        { code: 'd', name: 'Deutsch' },
        { code: 'e', name: 'one letter' },
        { code: 'en', name: 'English' },
        { code: 'fr', name: 'Français' },
      ]);
      const verified = await agent.verify({ content: true });
      expect(verified.get('languages')).toMatchObject({ found: 0, equal: true });
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
