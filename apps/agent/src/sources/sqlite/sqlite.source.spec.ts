import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeKey } from '#contracts';
import { sideTableName } from '../tracked-source.js';
import { SqliteSource } from './sqlite.source.js';
import { sqliteColumn, sqliteColumnType, sqliteToWire as toWire } from './sqlite.types.js';

describe('SQLite types and values on the wire', () => {
  it.each([
    ['INTEGER', 'bigint'],
    ['int', 'bigint'],
    ['BIGINT', 'bigint'],
    ['VARCHAR(20)', 'text'],
    ['TEXT', 'text'],
    ['CLOB', 'text'],
    ['BLOB', 'bytea'],
    ['REAL', 'double'],
    ['DOUBLE PRECISION', 'double'],
    ['FLOAT', 'double'],
    ['NUMERIC', 'numeric'],
    ['DECIMAL(10,2)', 'numeric'],
    ['BOOLEAN', 'boolean'],
    ['DATE', 'date'],
    ['UUID', 'uuid'],
    ['DATETIME', 'text'],
    ['', 'text'],
  ])('declared %j maps to %s', (declared, type) => {
    expect(sqliteColumnType(declared)).toBe(type);
  });

  it('keeps a declared text length', () => {
    expect(sqliteColumn('code', 'VARCHAR(10)')).toEqual({ name: 'code', type: 'text', length: 10 });
    expect(sqliteColumn('code', 'nchar( 3 )')).toEqual({ name: 'code', type: 'text', length: 3 });
    expect(sqliteColumn('code', 'TEXT')).toEqual({ name: 'code', type: 'text' });
  });

  it('keeps 64-bit integers exact as strings', () => {
    expect(toWire('bigint', 9223372036854775807n)).toBe('9223372036854775807');
    expect(toWire('bigint', -9223372036854775808n)).toBe('-9223372036854775808');
    expect(toWire('numeric', 12345678901234567890n)).toBe('12345678901234567890');
  });

  it('sends doubles as numbers and non-finite ones as strings PostgreSQL reads', () => {
    expect(toWire('double', 0.1)).toBe(0.1);
    expect(toWire('double', 5n)).toBe(5);
    expect(toWire('double', Infinity)).toBe('Infinity');
    expect(toWire('double', -Infinity)).toBe('-Infinity');
  });

  it('sends binary as base64 with every byte value', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect(Buffer.from(toWire('bytea', all) as string, 'base64')).toEqual(all);
  });

  it('keeps NULL distinct from the empty string, and booleans as booleans', () => {
    expect(toWire('text', null)).toBeNull();
    expect(toWire('text', '')).toBe('');
    expect(toWire('boolean', 1n)).toBe(true);
    expect(toWire('boolean', 0n)).toBe(false);
  });

  it('keeps text exactly, emoji and combining characters included', () => {
    for (const t of ['😀', 'e\u0301', 'Zürich', 'a\tb\nc']) expect(toWire('text', t)).toBe(t);
  });
});

describe('SqliteSource', () => {
  let dir: string;
  let path: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rowferry-sqlite-'));
    path = join(dir, 'db.sqlite');
    const db = new Database(path);
    db.exec(`CREATE TABLE keyed (a INTEGER, b TEXT, v REAL, PRIMARY KEY (b, a));
             CREATE TABLE nokey (x INTEGER, y TEXT);
             INSERT INTO keyed VALUES (1, 'x', 0.5), (2, 'y', NULL);`);
    db.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes the primary key in key order, or the configured key', async () => {
    const s = new SqliteSource(path);
    expect((await s.describe({ name: 'keyed' })).key).toEqual(['b', 'a']);
    expect((await s.describe({ name: 'nokey', key: ['x'] })).key).toEqual(['x']);
    await s.close();
  });

  it('reads generated columns, virtual and stored, as the source computed them (table_info leaves them out)', async () => {
    const own = join(dir, 'generated.sqlite');
    const db = new Database(own);
    db.exec(`CREATE TABLE made (id INTEGER PRIMARY KEY, n INTEGER, twice INTEGER AS (n * 2) VIRTUAL,
               label TEXT GENERATED ALWAYS AS ('#' || n) STORED);
             INSERT INTO made (id, n) VALUES (1, 21);`);
    db.close();
    const s = new SqliteSource(own);
    await s.installTracking([{ name: 'made' }]);
    const t = await s.describe({ name: 'made' });
    expect(t.columns.map((c) => c.name)).toEqual(['id', 'n', 'twice', 'label']);
    const rows = await s.rowsAfter(t, 0n, await s.localMax(t), 10);
    expect(rows.values.map((column) => column[0])).toEqual(['1', '21', '42', '#21']);
    await s.close();
  });

  it('refuses a table without a primary key and without a configured key, and unknown tables or columns', async () => {
    const s = new SqliteSource(path);
    await expect(s.describe({ name: 'nokey' })).rejects.toThrow(
      'table "nokey" has no primary key and no key is configured for it (set tables[].key in the config)',
    );
    await expect(s.describe({ name: 'missing' })).rejects.toThrow('table "missing" does not exist');
    await expect(s.describe({ name: 'nokey', key: ['zz'] })).rejects.toThrow(
      'configured key column "zz" does not exist in table "nokey"',
    );
    await s.close();
  });

  it('says to run track before tracking is installed', async () => {
    const s = new SqliteSource(path);
    await expect(s.localMax(await s.describe({ name: 'keyed' }))).rejects.toThrow(/run "rowferry-agent track"/);
    await s.close();
  });

  it("tracks with a side table a WITHOUT ROWID table, and one whose own update triggers a stamp would run, leaving the application's values as they were", async () => {
    const own = join(dir, 'app-triggers.sqlite');
    const db = new Database(own);
    db.exec(`CREATE TABLE wr (k TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID;
             CREATE TABLE touched (id INTEGER PRIMARY KEY, name TEXT, last_update TEXT NOT NULL DEFAULT '2020-01-01');
             CREATE TRIGGER touched_now AFTER UPDATE ON touched
               BEGIN UPDATE touched SET last_update = '2030-01-01' WHERE id = NEW.id; END;
             CREATE TABLE narrow (id INTEGER PRIMARY KEY, name TEXT, renamed INTEGER NOT NULL DEFAULT 0);
             CREATE TRIGGER narrow_renamed AFTER UPDATE OF name ON narrow
               BEGIN UPDATE narrow SET renamed = renamed + 1 WHERE id = NEW.id; END;
             INSERT INTO wr VALUES ('b', 2), ('a', 1);
             INSERT INTO touched (name) VALUES ('x'), ('y');
             INSERT INTO narrow (name) VALUES ('x');`);
    const s = new SqliteSource(own);
    const said = await s.installTracking([{ name: 'wr' }, { name: 'touched' }, { name: 'narrow' }]);
    expect(said).toContain(
      'wr: tracked with a side table: it is a WITHOUT ROWID table, and a version column is stamped by rowid',
    );
    expect(said.join('\n')).toMatch(
      /touched: tracked with a side table: the application's update trigger "touched_now"/,
    );
    expect(said.join('\n')).not.toMatch(/narrow: tracked with a side table/);
    const columns = (t: string) =>
      (db.prepare(`PRAGMA table_info(${t})`).all() as { name: string }[]).map((c) => c.name);
    expect(columns('touched')).toEqual(['id', 'name', 'last_update']);
    expect(columns('narrow')).toContain('_rowferry_version');
    db.exec(`INSERT INTO touched (name, last_update) VALUES ('z', '2021-05-05');
             INSERT INTO wr VALUES ('c', 3); UPDATE wr SET n = 20 WHERE k = 'b';
             INSERT INTO narrow (name) VALUES ('y')`);
    expect(db.prepare('SELECT last_update FROM touched ORDER BY id').pluck().all()).toEqual([
      '2020-01-01',
      '2020-01-01',
      '2021-05-05',
    ]);
    expect(db.prepare('SELECT renamed FROM narrow ORDER BY id').pluck().all()).toEqual([0, 0]);
    for (const name of ['wr', 'touched']) {
      const t = await s.describe({ name });
      const rows = await s.rowsAfter(t, 0n, await s.localMax(t), 10);
      expect(rows.values[0]).toHaveLength(3);
    }
    const wr = await s.describe({ name: 'wr' });
    const rows = await s.rowsAfter(wr, 0n, await s.localMax(wr), 10);
    expect(rows.values).toEqual([
      ['a', 'c', 'b'],
      ['1', '3', '20'],
    ]);
    db.close();
    await s.close();
  });

  it("finds the application's triggers whatever case names the table, keeps a WITHOUT ROWID table's INTEGER key taking text, gives NULL key parts no side row, and warns each pass of a trigger added after track", async () => {
    const own = join(dir, 'app-cases.sqlite');
    const db = new Database(own);
    db.exec(`CREATE TABLE Artist (id INTEGER PRIMARY KEY, name TEXT, lu TEXT NOT NULL DEFAULT 'old');
             CREATE TRIGGER artist_lu AFTER UPDATE ON ARTIST BEGIN UPDATE artist SET lu = 'NEW' WHERE id = NEW.id; END;
             CREATE TABLE wk (k INTEGER PRIMARY KEY, n INTEGER) without   rowid;
             CREATE TABLE pair (a INTEGER, b TEXT, n INTEGER, PRIMARY KEY (a, b));
             CREATE TRIGGER pair_seen AFTER UPDATE OF n, _rowferry_version ON pair BEGIN SELECT 1; END;
             CREATE TABLE later (id INTEGER PRIMARY KEY, name TEXT);
             INSERT INTO Artist (id, name) VALUES (1, 'a'); INSERT INTO wk VALUES (1, 1);`);
    const s = new SqliteSource(own);
    const said = (
      await s.installTracking([{ name: 'artist' }, { name: 'wk' }, { name: 'pair' }, { name: 'later' }])
    ).join('\n');
    expect(said).toMatch(/artist: tracked with a side table: the application's update trigger "artist_lu"/);
    expect(said).toMatch(/wk: tracked with a side table: it is a WITHOUT ROWID table/);
    expect(said).toMatch(/pair: tracked with a side table: the application's update trigger "pair_seen"/);
    expect(said).not.toMatch(/later: tracked with a side table/);
    db.exec(`INSERT INTO Artist (id, name, lu) VALUES (2, 'b', 'mine');
             INSERT INTO wk VALUES ('abc', 2), (2.5, 3);
             INSERT INTO pair VALUES (1, NULL, 1); UPDATE pair SET n = n + 1; UPDATE pair SET n = n + 1;`);
    expect(db.prepare('SELECT lu FROM Artist ORDER BY id').pluck().all()).toEqual(['old', 'mine']);
    expect(db.prepare('SELECT k FROM wk ORDER BY n').pluck().all()).toEqual([1, 'abc', 2.5]);
    expect(db.prepare('SELECT count(*) FROM _rowferry_pair_rows').pluck().get()).toBe(0);
    const wk = await s.describe({ name: 'wk' });
    expect((await s.rowsAfter(wk, 0n, await s.localMax(wk), 10)).values[0]).toEqual(['1', 'abc', '2.5']);
    const later = await s.describe({ name: 'later' });
    expect((await s.stampUnversioned(later, false)).notes).toEqual([]);
    db.exec(`CREATE TRIGGER later_audit BEFORE UPDATE ON later BEGIN SELECT 1; END`);
    expect((await s.stampUnversioned(later, false)).notes.join()).toMatch(
      /WARNING: the application's update trigger "later_audit" would run on every stamp .* move the table to a side table/,
    );
    db.close();
    await s.close();
  });

  it('versions existing rows, then every insert and update takes the next counter value', async () => {
    const s = new SqliteSource(path);
    await s.installTracking([{ name: 'keyed' }]);
    const t = await s.describe({ name: 'keyed' });
    expect(t.columns.map((c) => c.name)).toEqual(['a', 'b', 'v']); // the version column is not synced as data
    expect(await s.localMax(t)).toBe(2n);
    const db = new Database(path);
    db.exec(`INSERT INTO keyed (a, b, v) VALUES (3, 'z', 1.5); UPDATE keyed SET v = 9 WHERE a = 1;`);
    db.close();
    expect(await s.safeWatermark()).toBe(4n);
    expect(await s.rowsAfter(t, 2n, 10n, 10)).toEqual({
      columns: ['a', 'b', 'v'],
      values: [
        ['3', '1'],
        ['z', 'x'],
        [1.5, 9],
      ],
      versions: ['3', '4'],
    });
    expect(await s.manifest(t, [{ after: 0n, upTo: 4n }])).toEqual(
      new Map([
        [encodeKey(['text', 'bigint'], ['y', '2']), 2n],
        [encodeKey(['text', 'bigint'], ['z', '3']), 3n],
        [encodeKey(['text', 'bigint'], ['x', '1']), 4n],
      ]),
    );
    expect(await s.versionOfKey(t, encodeKey(['text', 'bigint'], ['x', '1']))).toBe(4n);
    expect(await s.versionOfKey(t, encodeKey(['text', 'bigint'], ['x', '2']))).toBeUndefined();
    // One writer at a time: a second writer cannot commit while a version is handed out and uncommitted, so no
    // lower version can appear after a higher one and the safe watermark is the counter itself.
    const writer = new Database(path);
    writer.exec('BEGIN IMMEDIATE');
    writer.exec(`INSERT INTO keyed (a, b, v) VALUES (10, 'open', 1)`);
    const other = new Database(path, { timeout: 50 });
    expect(() => other.exec(`INSERT INTO keyed (a, b, v) VALUES (11, 'blocked', 1)`)).toThrow(/database is locked/);
    expect(await s.safeWatermark()).toBe(4n); // the open writer's version is not visible yet
    writer.exec('COMMIT');
    expect(await s.safeWatermark()).toBe(5n);
    writer.close();
    other.close();
    // Installing again changes nothing.
    await s.installTracking([{ name: 'keyed' }]);
    expect(await s.localMax(t)).toBe(5n);
    await s.close();
  });

  it('reads a batch column by column exactly as row by row, in a version column and in a side table', async () => {
    const file = join(dir, 'columns.sqlite');
    const db = new Database(file);
    db.exec(`CREATE TABLE typed (id INTEGER PRIMARY KEY, name TEXT, big INTEGER, price REAL, raw BLOB, ok BOOLEAN);
             CREATE TABLE sided (k TEXT PRIMARY KEY, n INTEGER)`);
    const insert = db.prepare('INSERT INTO typed VALUES (?, ?, ?, ?, ?, ?)');
    for (let i = 1; i <= 300; i++)
      insert.run(
        i,
        i % 7 ? `name ${i} ✓` : null,
        i % 5 ? BigInt('9223372036854775000') + BigInt(i) : null,
        i % 11 ? i / 3 : Infinity,
        i % 13 ? Buffer.from([i % 256, 0, 255]) : null,
        i % 2,
      );
    for (let i = 1; i <= 300; i++) db.prepare('INSERT INTO sided VALUES (?, ?)').run(`k${i}`, i % 4 ? i : null);
    const s = new SqliteSource(file);
    await s.installTracking([{ name: 'typed' }, { name: 'sided', sideTable: true }]);
    // Updates move rows to new versions, so a batch's versions have gaps and its rows are not in key order.
    db.exec(`UPDATE typed SET name = 'changed' WHERE id % 3 = 0; UPDATE sided SET n = -n WHERE n % 5 = 0`);
    for (const [name, versionsOf] of [
      ['typed', 'typed'],
      ['sided', sideTableName('sided')],
    ]) {
      const t = await s.describe({ name });
      for (const [after, upTo, limit] of [
        [0n, 10_000n, 1000],
        [0n, 10_000n, 7],
        [150n, 10_000n, 64],
        [100n, 250n, 1000],
        [10_000n, 20_000n, 10],
      ] as const) {
        const batch = await s.rowsAfter(t, after, upTo, limit);
        const expected = db
          .prepare(
            `SELECT _rowferry_version FROM ${versionsOf} WHERE _rowferry_version > ? AND _rowferry_version <= ? ORDER BY 1 LIMIT ?`,
          )
          .pluck()
          .all(after, upTo, limit);
        expect(batch.versions).toEqual(expected.map(String));
        // rowsWithVersions reads row by row.
        expect(batch).toEqual(await s.rowsWithVersions(t, batch.versions.map(BigInt)));
      }
    }
    db.close();
    await s.close();
  });

  it("reads row by row a batch whose versions repeat, in an application's own version column", async () => {
    const file = join(dir, 'own-version.sqlite');
    const db = new Database(file);
    db.exec(`CREATE TABLE own (id INTEGER PRIMARY KEY, name TEXT, seq INTEGER);
             INSERT INTO own VALUES (1, 'n1', 1), (2, 'n2', 2), (3, 'n3', 2), (4, 'n4', 3), (5, 'n5', 3), (6, 'n6', 4)`);
    db.close();
    const s = new SqliteSource(file, 'seq');
    await s.installTracking([{ name: 'own' }]);
    const t = await s.describe({ name: 'own' });
    for (const limit of [1, 2, 3, 4, 5, 6, 10]) {
      const batch = await s.rowsAfter(t, 0n, 10n, limit);
      expect(batch.versions).toHaveLength(Math.min(limit, 6));
      // Each row whole: its id, its name and its version from the same row, however the batch cuts the repeats.
      expect(batch.values.map((c) => c.length)).toEqual([batch.versions.length, batch.versions.length]);
      batch.values[0].forEach((id, r) => {
        expect(batch.values[1][r]).toBe(`n${String(id)}`);
        expect(batch.versions[r]).toBe(String([0, 1, 2, 2, 3, 3, 4][Number(id)]));
      });
    }
    await s.close();
  });
});
