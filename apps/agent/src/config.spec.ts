import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { columnNameSchema, tableNameSchema } from '#contracts';
import { loadAgentConfig, remoteNames } from './config.js';

describe('agent config', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'rowferry-config-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('reads YAML, fills defaults and resolves paths against the file', () => {
    const c = loadAgentConfig(
      write(
        'ok.yaml',
        'api: { url: "http://127.0.0.1:3000", credentialsFile: creds.json }\nsource: { type: sqlite, path: shop.db }\ntables: [{ name: items }]\n',
      ),
    );
    expect(c).toMatchObject({ intervalSeconds: 30, batchRows: 20000, maxInFlight: 4, sliceRows: 500000 });
    expect(c.source).toEqual({ type: 'sqlite', path: join(dir, 'shop.db') });
    expect(c.api.credentialsFile).toBe(join(dir, 'creds.json'));
    expect(c.stateFile).toBe(join(dir, 'rowferry-state.json'));
  });

  it.each([
    [
      'api: { url: "not a url", credentialsFile: c }\nsource: { type: sqlite, path: x }\ntables: [{ name: t }]',
      /api\.url: Invalid URL/,
    ],
    [
      'api: { url: "http://x", credentialsFile: c }\nsource: { type: oracle, path: x }\ntables: [{ name: t }]',
      /source(\.type)?: source\.type must be "sqlite", "postgres" or "mariadb"/,
    ],
    [
      'api: { url: "http://x", credentialsFile: c }\nsource: { type: sqlite, path: x }\ntables: []',
      /tables: list at least one table to sync/,
    ],
    [
      'api: { url: "http://x", credentialsFile: c }\nsource: { type: sqlite, path: x }\ntables: [{ name: "bad name" }]',
      /tables\.0\.name: must start with a letter/,
    ],
    [
      'api: { url: "http://x", credentialsFile: c }\nsource: { type: sqlite, path: x }\ntables: [{ name: t }]\nbatchRows: 0',
      /batchRows: Too small: expected number to be >=1/,
    ],
    ['{ not yaml', /cannot read config/],
  ])('names the bad field: %#', (text, message) => {
    expect(() => loadAgentConfig(write('bad.yaml', text))).toThrow(message);
  });

  it('takes a MariaDB source as "mariadb", and as "mysql", the name earlier releases used', () => {
    for (const type of ['mariadb', 'mysql']) {
      const c = loadAgentConfig(
        write(
          `${type}.yaml`,
          `api: { url: "http://x", credentialsFile: c }\nsource: { type: ${type}, url: "mariadb://u@h/db" }\ntables: [{ name: t }]\n`,
        ),
      );
      expect(c.source).toEqual({ type, url: 'mariadb://u@h/db' });
    }
  });

  it('maps a table to another cloud name, and refuses two tables that would sync to one', () => {
    const head =
      'api: { url: "http://127.0.0.1:3000", credentialsFile: c.json }\nsource: { type: sqlite, path: s.db }\n';
    const c = loadAgentConfig(
      write('remote.yaml', `${head}tables: [{ name: tags, remoteName: tags_v2 }, { name: items }]\n`),
    );
    expect(remoteNames(c)).toEqual(new Map([['tags', 'tags_v2']]));
    expect(() =>
      loadAgentConfig(write('clash.yaml', `${head}tables: [{ name: tags, remoteName: items }, { name: items }]\n`)),
    ).toThrow(/two tables sync to the same cloud table/);
    expect(() => loadAgentConfig(write('bad.yaml', `${head}tables: [{ name: tags, remoteName: "x y" }]\n`))).toThrow(
      /tables\.0\.remoteName/,
    );
  });

  it('lists columns to sync as their text, by valid names only', () => {
    const head =
      'api: { url: "http://127.0.0.1:3000", credentialsFile: c.json }\nsource: { type: sqlite, path: s.db }\n';
    const c = loadAgentConfig(write('text.yaml', `${head}tables: [{ name: places, asText: [home, spot] }]\n`));
    expect(c.tables[0].asText).toEqual(['home', 'spot']);
    expect(() => loadAgentConfig(write('empty.yaml', `${head}tables: [{ name: places, asText: [] }]\n`))).toThrow(
      /tables\.0\.asText/,
    );
    expect(() => loadAgentConfig(write('bad2.yaml', `${head}tables: [{ name: places, asText: ["a;b"] }]\n`))).toThrow(
      /tables\.0\.asText\.0/,
    );
  });

  // The agent checks names with zod/mini, the API with the full zod: the same rules (NAME_RULES) on both sides.
  it.each([
    't',
    '_x',
    'T9',
    '',
    '9t',
    'a b',
    'a-b',
    'é',
    'x'.repeat(63),
    'x'.repeat(64),
    '_rf_x',
    '_RF_x',
    'xmin',
    'ctid',
  ])('takes the name %j as a table and as a key column exactly when the API does', (name) => {
    const head = 'api: { url: "http://x", credentialsFile: c }\nsource: { type: sqlite, path: x }\n';
    const takes = (tables: string) => {
      try {
        loadAgentConfig(write('names.yaml', `${head}tables: ${tables}\n`));
        return true;
      } catch {
        return false;
      }
    };
    const quoted = JSON.stringify(name);
    expect(takes(`[{ name: ${quoted} }]`)).toBe(tableNameSchema.safeParse(name).success);
    expect(takes(`[{ name: t, key: [${quoted}] }]`)).toBe(columnNameSchema.safeParse(name).success);
  });

  it('says when the file is missing', () => {
    expect(() => loadAgentConfig(join(dir, 'nope.yaml'))).toThrow(/cannot read config .*nope\.yaml/);
  });
});
