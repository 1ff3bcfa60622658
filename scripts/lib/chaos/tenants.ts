import Database from 'better-sqlite3';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { ColumnType } from '#contracts';
import { MysqlSource } from '../../../apps/agent/src/sources/mysql/mysql.source.js';
import { PostgresSource } from '../../../apps/agent/src/sources/postgres/postgres.source.js';
import { SqliteSource } from '../../../apps/agent/src/sources/sqlite/sqlite.source.js';
import type { Source } from '../../../apps/agent/src/sources/source.js';
import { compareTable } from '../compare.js';
import type { Random } from './random.js';

/**
 * The tenants of a chaos run: one source database each (SQLite, PostgreSQL or MariaDB) with three tables (integer,
 * composite and text keys) and awkward values, written to at random while faults are injected, backed up and
 * restored, and finally compared with the remote copy, every column of every row.
 */
export interface TableSpec {
  name: string;
  key: string[];
}

export interface Comparison {
  rows: number;
  differences: string[];
}

/** Odd values that must arrive exactly: non-ASCII, combining marks, quotes, empty strings next to NULLs. */
const NAMES = [
  'plain',
  'emoji 😀',
  'e\u0301 combining',
  "o'brien",
  'quote " inside',
  '',
  'Zürich',
  'ALPHA',
  'alpha',
  '東京',
];
const TAG_CODES = ['Alpha', 'alpha', 'ALPHA', 'Zürich', 'zürich', 'a,b', "o'brien", '東京', 'emoji 😀'];
const INITIAL_ROWS = 1500;

/** What every engine's tenant does, in the engine's own SQL. */
export abstract class ChaosTenant {
  readonly tables: TableSpec[];
  private nextId = INITIAL_ROWS + 1;
  private addedColumns = 0;
  /** Paused during backups and restores: a consistent backup, and a restore with the application stopped. */
  paused = false;

  constructor(
    readonly name: string,
    readonly dir: string,
    readonly prefix: string,
  ) {
    this.tables = [
      { name: `${prefix}_items`, key: ['id'] },
      { name: `${prefix}_lines`, key: ['order_id', 'line'] },
      { name: `${prefix}_tags`, key: ['code'] },
    ];
  }

  abstract readonly sourceConfig: Record<string, unknown>;
  protected abstract exec(sql: string, params?: unknown[]): Promise<void>;
  protected abstract createTables(): Promise<void>;
  protected abstract bool(v: boolean): unknown;
  abstract openSource(): Source;
  abstract backup(tag: string): Promise<void>;
  abstract restore(tag: string): Promise<void>;
  abstract close(): Promise<void>;
  /** The local rows of a table rendered as text the way remoteText renders the remote ones (server engines). */
  protected abstract localRows(
    table: string,
    columns: { name: string; type: ColumnType }[],
  ): Promise<(string | null)[][]>;

  /** What `rowferry-agent track` installs, for every table of the tenant. */
  async installTracking(): Promise<void> {
    const source = this.openSource();
    try {
      await source.installTracking(this.tables.map((t) => t.name));
    } finally {
      await source.close();
    }
  }

  /** Every column of every row of every table, local against remote, as the agent describes the columns. */
  async compare(remoteUrl: string, databaseId: string): Promise<Comparison> {
    const source = this.openSource();
    const differences: string[] = [];
    let rows = 0;
    try {
      for (const t of this.tables) {
        const { columns } = await source.describe(t.name, t.key);
        const local = await this.localRows(t.name, columns);
        rows += local.length;
        differences.push(
          ...this.rowsCompared(
            indexRows(local, columns, t.key),
            await remoteRows(remoteUrl, databaseId, t.name, columns, t.key),
            t.name,
          ),
        );
      }
    } finally {
      await source.close();
    }
    return { rows, differences };
  }

  protected get items() {
    return this.tables[0].name;
  }
  protected get lines() {
    return this.tables[1].name;
  }
  protected get tags() {
    return this.tables[2].name;
  }

  async setup(rng: Random): Promise<void> {
    await this.createTables();
    for (let i = 1; i <= INITIAL_ROWS; i++) await this.insertItem(rng, i);
    for (let o = 1; o <= INITIAL_ROWS / 3; o++)
      for (let l = 1; l <= 2; l++)
        await this.exec(`INSERT INTO ${this.lines} (order_id, line, sku, qty) VALUES (?, ?, ?, ?)`, [
          o,
          l,
          `SKU-${o}-${l}`,
          rng.int(-5, 5) * 1e12,
        ]);
    // a case-insensitive key refuses the twins
    for (const code of TAG_CODES) await this.insertTag(code, rng).catch(() => undefined);
  }

  /** One random write: an insert, an update or a delete in one of the three tables. */
  async write(rng: Random): Promise<void> {
    if (this.paused) return;
    const roll = rng.next();
    const id = rng.int(1, this.nextId);
    try {
      if (roll < 0.3) await this.insertItem(rng, this.nextId++);
      else if (roll < 0.55)
        await this.exec(`UPDATE ${this.items} SET name = ?, amount = ?, flag = ?, note = ? WHERE id = ?`, [
          rng.pick(NAMES),
          cents(rng),
          this.bool(rng.chance(0.5)),
          rng.chance(0.3) ? null : `n${rng.int(0, 99)}`,
          id,
        ]);
      else if (roll < 0.65) await this.exec(`DELETE FROM ${this.items} WHERE id = ?`, [id]);
      else if (roll < 0.75)
        await this.exec(`INSERT INTO ${this.lines} (order_id, line, sku, qty) VALUES (?, ?, ?, ?)`, [
          id,
          rng.int(1, 9),
          rng.pick(NAMES),
          rng.int(0, 1000),
        ]);
      else if (roll < 0.85)
        await this.exec(`UPDATE ${this.lines} SET qty = ? WHERE order_id = ?`, [
          rng.int(0, 1000),
          rng.int(1, INITIAL_ROWS / 3),
        ]);
      else if (roll < 0.9)
        await this.exec(`DELETE FROM ${this.lines} WHERE order_id = ? AND line = ?`, [
          rng.int(1, this.nextId),
          rng.int(1, 9),
        ]);
      else if (roll < 0.96) await this.insertTag(`${rng.pick(TAG_CODES)} ${rng.int(0, 300)}`, rng);
      else await this.exec(`DELETE FROM ${this.tags} WHERE code = ?`, [`${rng.pick(TAG_CODES)} ${rng.int(0, 300)}`]);
    } catch (err) {
      // A duplicate key, or the database restarting under the writer: the application would retry later too.
      if (!isExpectedWriteError(err)) throw err;
    }
  }

  /**
   * A column added locally (docs/architecture.md, Remote storage): the remote gets it, and every existing row its
   * value.
   */
  async addColumn(): Promise<string> {
    const column = `extra_${++this.addedColumns}`;
    await this.exec(`ALTER TABLE ${this.items} ADD COLUMN ${column} VARCHAR(20) DEFAULT '${column}'`);
    return `${this.items}.${column}`;
  }

  private insertItem(rng: Random, id: number): Promise<void> {
    return this.exec(`INSERT INTO ${this.items} (id, name, amount, flag, data, note) VALUES (?, ?, ?, ?, ?, ?)`, [
      id,
      rng.pick(NAMES),
      cents(rng),
      this.bool(rng.chance(0.5)),
      rng.chance(0.2) ? null : rng.bytes(12),
      rng.chance(0.3) ? null : rng.chance(0.5) ? '' : `note ${id}`,
    ]);
  }

  private insertTag(code: string, rng: Random): Promise<void> {
    return this.exec(`INSERT INTO ${this.tags} (code, label) VALUES (?, ?)`, [
      code,
      rng.chance(0.2) ? null : rng.pick(NAMES),
    ]);
  }

  protected rowsCompared(local: Map<string, string>, remote: Map<string, string>, table: string): string[] {
    const out: string[] = [];
    for (const [k, v] of local)
      if (remote.get(k) !== v)
        out.push(`${this.name} ${table} ${k}: local ${v} remote ${remote.get(k) ?? '(missing)'}`);
    for (const k of remote.keys()) if (!local.has(k)) out.push(`${this.name} ${table} ${k}: remote only`);
    return out;
  }
}

function cents(rng: Random): string {
  return `${rng.int(-99999, 99999)}.${String(rng.int(0, 99)).padStart(2, '0')}`;
}

function isExpectedWriteError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return /UNIQUE|duplicate|ER_DUP_ENTRY|23505|SQLITE_BUSY|ECONNREFUSED|ECONNRESET|57P0|terminat|closed|not queryable|Connection|PROTOCOL|server has gone|EPIPE|database is locked/i.test(
    `${e.code ?? ''} ${e.message ?? ''}`,
  );
}

// SQLite

export class SqliteTenant extends ChaosTenant {
  private db!: Database.Database;
  readonly path: string;

  constructor(name: string, dir: string, prefix: string) {
    super(name, dir, prefix);
    this.path = join(dir, 'local.db');
  }

  get sourceConfig() {
    return { type: 'sqlite', path: this.path };
  }

  openSource(): Source {
    return new SqliteSource(this.path);
  }

  protected async createTables(): Promise<void> {
    this.open();
    this.db
      .exec(`CREATE TABLE ${this.items} (id INTEGER PRIMARY KEY, name TEXT, amount NUMERIC, flag BOOLEAN, data BLOB, note TEXT);
      CREATE TABLE ${this.lines} (order_id INTEGER NOT NULL, line INTEGER NOT NULL, sku TEXT, qty INTEGER, PRIMARY KEY (order_id, line));
      CREATE TABLE ${this.tags} (code TEXT PRIMARY KEY, label TEXT);`);
  }

  private open(): void {
    this.db = new Database(this.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
  }

  protected async exec(sql: string, params: unknown[] = []): Promise<void> {
    this.db.prepare(sql).run(...params);
  }

  protected bool(v: boolean) {
    return v ? 1 : 0;
  }

  async backup(tag: string): Promise<void> {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    await this.db.backup(join(this.dir, `backup-${tag}.db`));
    const state = join(this.dir, 'rowferry-state.json');
    if (existsSync(state)) copyFileSync(state, join(this.dir, `backup-${tag}.state.json`));
  }

  /** The file put back from the backup (the agent is stopped by the caller), with the agent's state of the time. */
  async restore(tag: string): Promise<void> {
    this.db.close();
    for (const suffix of ['-wal', '-shm']) rmSync(this.path + suffix, { force: true });
    copyFileSync(join(this.dir, `backup-${tag}.db`), this.path);
    this.open();
  }

  /** The agent's state as it was at the backup (a machine image), or lost. */
  restoreState(tag: string | undefined): void {
    const state = join(this.dir, 'rowferry-state.json');
    rmSync(state, { force: true });
    if (tag && existsSync(join(this.dir, `backup-${tag}.state.json`)))
      copyFileSync(join(this.dir, `backup-${tag}.state.json`), state);
  }

  protected async localRows(): Promise<(string | null)[][]> {
    throw new Error('SQLite tenants compare with compareTable');
  }

  /** SQLite values are compared by compareTable (scripts/lib/compare.ts), shared with the end-to-end tests. */
  override async compare(remoteUrl: string, databaseId: string): Promise<Comparison> {
    const differences: string[] = [];
    let rows = 0;
    for (const t of this.tables) {
      differences.push(
        ...(await compareTable(this.path, remoteUrl, databaseId, t.name, t.key)).map((d) => `${this.name} ${d}`),
      );
      rows += Number(this.db.prepare(`SELECT count(*) FROM ${t.name}`).pluck().get());
    }
    return { rows, differences };
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

// Server engines: the rows rendered as text alike on both sides, by the column types the agent sees.

function remoteText(type: ColumnType, col: string): string {
  if (type === 'boolean') return `CASE WHEN ${col} THEN '1' WHEN NOT ${col} THEN '0' END`;
  if (type === 'bytea') return `upper(encode(${col}, 'hex'))`;
  return `${col}::text`;
}

async function remoteRows(
  remoteUrl: string,
  databaseId: string,
  table: string,
  columns: { name: string; type: ColumnType }[],
  key: string[],
): Promise<Map<string, string>> {
  const c = new pg.Client({ connectionString: remoteUrl });
  await c.connect();
  try {
    const { rows } = await c.query({
      text: `SELECT ${columns.map((col) => remoteText(col.type, `"${col.name}"`)).join(', ')} FROM rowferry_data."${table}" WHERE _rf_database = $1`,
      values: [databaseId],
      rowMode: 'array',
    });
    return indexRows(rows as (string | null)[][], columns, key);
  } finally {
    await c.end();
  }
}

function indexRows(rows: (string | null)[][], columns: { name: string }[], key: string[]): Map<string, string> {
  const at = key.map((k) => columns.findIndex((c) => c.name === k));
  return new Map(rows.map((r) => [JSON.stringify(at.map((i) => r[i])), JSON.stringify(r)]));
}

/** A tenant whose source is a database server, reached by URL. */
abstract class ServerTenant extends ChaosTenant {
  protected abstract readonly engine: 'postgres' | 'mysql';

  constructor(
    name: string,
    dir: string,
    prefix: string,
    protected readonly url: string,
  ) {
    super(name, dir, prefix);
  }

  get sourceConfig() {
    return { type: this.engine, url: this.url };
  }
}

export class PostgresTenant extends ServerTenant {
  protected readonly engine = 'postgres';
  private client!: pg.Client;

  openSource(): Source {
    return new PostgresSource(this.url);
  }

  private async connected(): Promise<pg.Client> {
    if (!this.client) {
      this.client = new pg.Client({ connectionString: this.url });
      this.client.on('error', () => undefined); // a server restart: reconnected on the next write
      await this.client.connect().catch((err) => {
        this.client = undefined as unknown as pg.Client;
        throw err;
      });
    }
    return this.client;
  }

  protected async exec(sql: string, params: unknown[] = []): Promise<void> {
    let n = 0;
    const text = sql.replace(/\?/g, () => `$${++n}`);
    const c = await this.connected();
    try {
      await c.query(text, params);
    } catch (err) {
      if ((err as { code?: string }).code === undefined || /57P0|ECONN/.test(String((err as { code?: string }).code))) {
        await c.end().catch(() => undefined);
        this.client = undefined as unknown as pg.Client;
      }
      throw err;
    }
  }

  protected async createTables(): Promise<void> {
    await this.exec(
      `CREATE TABLE ${this.items} (id bigint PRIMARY KEY, name text, amount numeric(12, 2), flag boolean, data bytea, note text)`,
    );
    await this.exec(
      `CREATE TABLE ${this.lines} (order_id bigint, line bigint, sku text, qty bigint, PRIMARY KEY (order_id, line))`,
    );
    await this.exec(`CREATE TABLE ${this.tags} (code text PRIMARY KEY, label text)`);
  }

  protected bool(v: boolean) {
    return v;
  }

  /** Copies of the tables, the markers and the version counter in a schema of their own, in one snapshot. */
  async backup(tag: string): Promise<void> {
    const c = await this.connected();
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    try {
      await c.query(`CREATE SCHEMA bk_${tag}`);
      for (const t of [...this.tables.map((x) => `public.${x.name}`), '_rowferry.markers'])
        await c.query(`CREATE TABLE bk_${tag}.${t.split('.')[1]} AS SELECT * FROM ${t}`);
      await c.query(`CREATE TABLE bk_${tag}.counter AS SELECT last_value, is_called FROM _rowferry.version_seq`);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** The tables (structure included), the markers and the counter as they were, as restoring a dump does. */
  async restore(tag: string): Promise<void> {
    const c = await this.connected();
    await c.query('BEGIN');
    try {
      for (const t of this.tables) {
        await c.query(`DROP TABLE public.${t.name}`);
        await c.query(`CREATE TABLE public.${t.name} AS SELECT * FROM bk_${tag}.${t.name}`);
        await c.query(`ALTER TABLE public.${t.name} ADD PRIMARY KEY (${t.key.join(', ')})`);
      }
      await c.query(`TRUNCATE _rowferry.markers`);
      await c.query(`INSERT INTO _rowferry.markers SELECT * FROM bk_${tag}.markers`);
      await c.query(`SELECT setval('_rowferry.version_seq', last_value, is_called) FROM bk_${tag}.counter`);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
    await this.installTracking(); // the triggers, as the dump would bring them
  }

  protected async localRows(
    table: string,
    columns: { name: string; type: ColumnType }[],
  ): Promise<(string | null)[][]> {
    const c = await this.connected();
    return (
      await c.query({
        text: `SELECT ${columns.map((col) => remoteText(col.type, `"${col.name}"`)).join(', ')} FROM public.${table}`,
        rowMode: 'array',
      })
    ).rows;
  }

  async close(): Promise<void> {
    await this.client?.end().catch(() => undefined);
  }
}

export class MariadbTenant extends ServerTenant {
  protected readonly engine = 'mysql';
  private conn: mysql.Connection | undefined;

  openSource(): Source {
    return new MysqlSource(this.url);
  }

  private async connected(): Promise<mysql.Connection> {
    if (!this.conn) {
      const conn = await mysql.createConnection({ uri: this.url, supportBigNumbers: true, bigNumberStrings: true });
      conn.on('error', () => (this.conn = undefined));
      this.conn = conn;
    }
    return this.conn;
  }

  protected async exec(sql: string, params: unknown[] = []): Promise<void> {
    const c = await this.connected();
    try {
      await c.query(sql, params);
    } catch (err) {
      if (!(err as { sqlState?: string }).sqlState) {
        this.conn = undefined;
        c.destroy();
      }
      throw err;
    }
  }

  protected async createTables(): Promise<void> {
    await this.exec(
      `CREATE TABLE ${this.items} (id BIGINT PRIMARY KEY, name TEXT, amount DECIMAL(12, 2), flag TINYINT(1), data VARBINARY(64), note TEXT) ENGINE=InnoDB`,
    );
    await this.exec(
      `CREATE TABLE ${this.lines} (order_id BIGINT, line BIGINT, sku TEXT, qty BIGINT, PRIMARY KEY (order_id, line)) ENGINE=InnoDB`,
    );
    await this.exec(`CREATE TABLE ${this.tags} (code VARCHAR(100) PRIMARY KEY, label TEXT) ENGINE=InnoDB`);
  }

  protected bool(v: boolean) {
    return v ? 1 : 0;
  }

  private get database(): string {
    return new URL(this.url).pathname.slice(1);
  }

  async backup(tag: string): Promise<void> {
    const bk = `${this.database}_bk_${tag}`;
    await this.exec(`CREATE DATABASE ${bk}`);
    for (const t of [...this.tables.map((x) => x.name), '_rowferry_markers'])
      await this.exec(`CREATE TABLE ${bk}.${t} AS SELECT * FROM ${t}`);
    await this.exec(`CREATE TABLE ${bk}.counter AS SELECT next_not_cached_value AS next FROM _rowferry_version_seq`);
  }

  async restore(tag: string): Promise<void> {
    const bk = `${this.database}_bk_${tag}`;
    for (const t of this.tables) {
      await this.exec(`DROP TABLE ${t.name}`);
      await this.exec(`CREATE TABLE ${t.name} AS SELECT * FROM ${bk}.${t.name}`);
      await this.exec(`ALTER TABLE ${t.name} ADD PRIMARY KEY (${t.key.join(', ')})`);
    }
    await this.exec(`DELETE FROM _rowferry_markers`);
    await this.exec(`INSERT INTO _rowferry_markers SELECT * FROM ${bk}._rowferry_markers`);
    const c = await this.connected();
    const [[{ next }]] = (await c.query(`SELECT next FROM ${bk}.counter`)) as unknown as [{ next: string }[]];
    await this.exec(`ALTER SEQUENCE _rowferry_version_seq RESTART WITH ${BigInt(next)}`);
    await this.installTracking();
  }

  protected async localRows(
    table: string,
    columns: { name: string; type: ColumnType }[],
  ): Promise<(string | null)[][]> {
    const c = await this.connected();
    const list = columns
      .map((col) => (col.type === 'bytea' ? `HEX(\`${col.name}\`)` : `CAST(\`${col.name}\` AS CHAR)`))
      .join(', ');
    return (
      (await c.query({ sql: `SELECT ${list} FROM ${table}`, rowsAsArray: true })) as unknown as [(string | null)[][]]
    )[0];
  }

  async close(): Promise<void> {
    await this.conn?.end().catch(() => undefined);
  }
}

/** The agent's settings for a tenant: quick passes, small batches, so faults land in every phase of the algorithm. */
export function chaosAgentSettings(t: ChaosTenant): Record<string, unknown> {
  return {
    source: t.sourceConfig,
    tables: t.tables,
    intervalSeconds: 0.5,
    batchRows: 400,
    maxInFlight: 4,
    sliceRows: 1000,
  };
}
