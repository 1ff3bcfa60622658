import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { decodeKey, type ColumnarRows, type ColumnDef, type ColumnType, type WireValue, type VersionRange } from '#contracts';
import type { Marker, RangeDigest } from '#sync';
import { digestsOf, manifestOf } from './key-rows.js';
import { keyedTable, type Source, type SourceTable } from './source.js';
import { sqliteColumn, sqliteToWire as toWire, type SqliteValue } from './type-mapping.js';

/** The version column `track` installs, unless the config names an existing one. */
export const VERSION_COLUMN = '_rowferry_version';
const COUNTER_TABLE = '_rowferry_counter';
const MARKER_TABLE = '_rowferry_markers';

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

function toSqlite(type: ColumnType, v: WireValue): SqliteValue {
  if (v === null) return null;
  if (type === 'bigint') return BigInt(v as string);
  if (type === 'bytea') return Buffer.from(String(v), 'base64');
  if (type === 'boolean') return v ? 1 : 0;
  return v as string;
}

export class SqliteSource implements Source {
  private db: Database.Database;
  /** The file opened, to notice a restore that replaced it (by rename: the handle still reads the old file). */
  private inode: number;
  private readonly vc: string;
  private readonly vcq: string;
  /** Tables described so far: with an existing version column, the counter is their highest version. */
  private readonly described = new Set<string>();

  /** @param existingVersionColumn a version column the application already keeps; `track` then installs only markers */
  constructor(
    private readonly path: string,
    private readonly existingVersionColumn?: string,
  ) {
    this.vc = existingVersionColumn ?? VERSION_COLUMN;
    this.vcq = q(this.vc);
    [this.db, this.inode] = SqliteSource.open(path);
  }

  private static open(path: string): [Database.Database, number] {
    const db = new Database(path, { fileMustExist: true });
    db.defaultSafeIntegers(true); // 64-bit integers arrive as BigInt, never rounded
    db.pragma('busy_timeout = 5000');
    return [db, statSync(path).ino];
  }

  async reopenIfReplaced(): Promise<boolean> {
    if (statSync(this.path).ino === this.inode) return false;
    await this.resetAfterRestore();
    return true;
  }

  async resetAfterRestore(): Promise<void> {
    this.db.close();
    [this.db, this.inode] = SqliteSource.open(this.path);
  }

  async describe(table: string, keyOverride?: string[]): Promise<SourceTable> {
    const info = this.db.prepare(`PRAGMA table_info(${q(table)})`).all() as { name: string; type: string; pk: bigint }[];
    if (info.length === 0) throw new Error(`table "${table}" does not exist in the SQLite database`);
    if (this.existingVersionColumn && !info.some((c) => c.name === this.vc)) throw new Error(`table "${table}" has no version column "${this.vcq}" (source.versionColumn in the config)`);
    this.described.add(table);
    const columns: ColumnDef[] = info.filter((c) => c.name !== this.vc).map((c) => sqliteColumn(c.name, c.type));
    const pk = info.filter((c) => c.pk > 0n).sort((a, b) => Number(a.pk - b.pk)).map((c) => c.name);
    return keyedTable(table, columns, pk, keyOverride);
  }

  async installTracking(tables: string[]): Promise<string[]> {
    const done: string[] = [];
    this.db.transaction(() => {
      this.db.exec(`CREATE TABLE IF NOT EXISTS ${MARKER_TABLE} (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, watermark INTEGER NOT NULL, written_at TEXT NOT NULL)`);
      if (this.existingVersionColumn) {
        done.push(`versions come from the existing column "${this.vc}": only the restore markers table is installed`);
        return;
      }
      this.db.exec(`CREATE TABLE IF NOT EXISTS ${COUNTER_TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
        INSERT OR IGNORE INTO ${COUNTER_TABLE} VALUES (1, 0);`);
      for (const table of tables) {
        const t = q(table);
        const cols = this.db.prepare(`PRAGMA table_info(${t})`).all() as { name: string }[];
        if (cols.length === 0) throw new Error(`table "${table}" does not exist in the SQLite database`);
        const withoutRowid = (this.db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`).pluck().get(table) as string).match(/WITHOUT\s+ROWID/i);
        if (withoutRowid) throw new Error(`table "${table}" is a WITHOUT ROWID table; version tracking needs a rowid`);
        if (!cols.some((c) => c.name === this.vc)) {
          this.db.exec(`ALTER TABLE ${t} ADD COLUMN ${this.vcq} INTEGER`);
          done.push(`${table}: added column ${this.vcq}`);
        }
        // Existing rows get distinct versions above the counter, numbered in rowid order (a rowid may be 0 or negative).
        const base = this.db.prepare(`SELECT value FROM ${COUNTER_TABLE} WHERE id = 1`).pluck().get() as bigint;
        const n = this.db
          .prepare(
            `UPDATE ${t} SET ${this.vcq} = ? + n.rn
               FROM (SELECT rowid AS rid, row_number() OVER (ORDER BY rowid) AS rn FROM ${t} WHERE ${this.vcq} IS NULL) AS n
              WHERE ${t}.rowid = n.rid`,
          )
          .run(base).changes;
        const top = this.db.prepare(`SELECT coalesce(max(${this.vcq}), 0) FROM ${t}`).pluck().get() as bigint;
        this.db.prepare(`UPDATE ${COUNTER_TABLE} SET value = max(value, ?) WHERE id = 1`).run(top);
        if (n) done.push(`${table}: versioned ${n} existing rows`);
        const bump = `UPDATE ${COUNTER_TABLE} SET value = value + 1 WHERE id = 1;
          UPDATE ${t} SET ${this.vcq} = (SELECT value FROM ${COUNTER_TABLE} WHERE id = 1) WHERE rowid = NEW.rowid;`;
        // Every write gets a fresh version, whatever the application wrote into the column (a row read with SELECT *
        // and written back whole carries an old one). The trigger's own update sets the counter's value, which stops
        // it there even with recursive_triggers on. Re-created, so running track again upgrades older triggers.
        this.db.exec(`CREATE INDEX IF NOT EXISTS ${q(`_rowferry_${table}_version`)} ON ${t} (${this.vcq});
          DROP TRIGGER IF EXISTS ${q(`_rowferry_${table}_insert`)};
          DROP TRIGGER IF EXISTS ${q(`_rowferry_${table}_update`)};
          CREATE TRIGGER ${q(`_rowferry_${table}_insert`)} AFTER INSERT ON ${t} BEGIN ${bump} END;
          CREATE TRIGGER ${q(`_rowferry_${table}_update`)} AFTER UPDATE ON ${t}
            WHEN NEW.${this.vcq} IS OLD.${this.vcq} OR NEW.${this.vcq} IS NOT (SELECT value FROM ${COUNTER_TABLE} WHERE id = 1) BEGIN ${bump} END;`);
        done.push(`${table}: triggers and index in place`);
      }
    })();
    return done;
  }

  /** SQLite has one writer at a time and the counter moves inside its transaction: everything visible is committed. */
  async safeWatermark(): Promise<bigint> {
    return this.versionCounter();
  }

  async versionCounter(): Promise<bigint> {
    if (this.existingVersionColumn) {
      let max = 0n;
      for (const t of this.described) {
        const v = this.db.prepare(`SELECT coalesce(max(${q(this.vc)}), 0) FROM ${q(t)}`).pluck().get() as bigint;
        if (v > max) max = v;
      }
      return max;
    }
    return this.requireTracking(() => this.db.prepare(`SELECT value FROM ${COUNTER_TABLE} WHERE id = 1`).pluck().get() as bigint);
  }

  async localMax(table: SourceTable): Promise<bigint> {
    return this.requireTracking(() => (this.db.prepare(`SELECT coalesce(max(${this.vcq}), 0) FROM ${q(table.name)}`).pluck().get() as bigint) ?? 0n);
  }

  async count(table: SourceTable): Promise<number> {
    return Number(this.db.prepare(`SELECT count(*) FROM ${q(table.name)}`).pluck().get());
  }

  async rowsAfter(table: SourceTable, after: bigint, upTo: bigint, limit: number): Promise<ColumnarRows> {
    const rows = this.select(table, `WHERE ${this.vcq} > ? AND ${this.vcq} <= ? ORDER BY ${this.vcq} LIMIT ?`).all(after, upTo, limit) as SqliteValue[][];
    return this.columnar(table, rows);
  }

  async versionsAfter(table: SourceTable, after: bigint, limit: number): Promise<bigint[]> {
    return this.db
      .prepare(`SELECT ${this.vcq} FROM ${q(table.name)} WHERE ${this.vcq} > ? ORDER BY ${this.vcq} LIMIT ?`)
      .pluck()
      .all(after, limit) as bigint[];
  }

  async manifest(table: SourceTable, ranges: readonly VersionRange[]): Promise<Map<string, bigint>> {
    const rows = ranges.flatMap((r) => this.keysAndVersions(table).all(r.after, r.upTo) as SqliteValue[][]);
    return manifestOf(rows, this.keyTypes(table), toWire);
  }

  async digests(table: SourceTable, ranges: readonly VersionRange[]): Promise<RangeDigest[]> {
    if (ranges.length === 0) return [];
    // One scan over the whole span; the ranges are sorted, so rows fall into them in order.
    const rows = this.keysAndVersions(table).iterate(ranges[0].after, ranges[ranges.length - 1].upTo) as Iterable<SqliteValue[]>;
    return digestsOf(rows, this.keyTypes(table), toWire, ranges);
  }

  async rowsWithVersions(table: SourceTable, versions: bigint[]): Promise<ColumnarRows> {
    // One statement for the whole list (a JSON array of integers), as the server engines do with ANY / IN.
    const rows = this.select(table, `WHERE ${this.vcq} IN (SELECT value FROM json_each(?)) ORDER BY ${this.vcq}`).all(`[${versions.join(',')}]`) as SqliteValue[][];
    return this.columnar(table, rows);
  }

  async versionOfKey(table: SourceTable, key: string): Promise<bigint | undefined> {
    const types = this.keyTypes(table);
    const values = decodeKey(types, key).map((v, i) => toSqlite(types[i], v));
    // Byte for byte, whatever the column's collation (NOCASE would find 'ALICE' for 'Alice'), design §3.4.
    const where = table.key.map((k) => `${q(k)} = ? COLLATE BINARY`).join(' AND ');
    return this.db.prepare(`SELECT ${this.vcq} FROM ${q(table.name)} WHERE ${where}`).pluck().get(...values) as bigint | undefined;
  }

  async newestMarker(): Promise<Marker | undefined> {
    const m = this.requireTracking(() => this.newest.get() as { id: string; watermark: bigint } | undefined);
    return m && { id: m.id, watermark: m.watermark };
  }

  async writeMarker(marker: Marker, expected: string | undefined): Promise<boolean> {
    // IMMEDIATE: the compare and the write happen under the write lock, with nothing in between.
    return this.db
      .transaction(() => {
        if ((this.newest.get() as { id: string } | undefined)?.id !== expected) return false;
        this.db.prepare(`INSERT INTO ${MARKER_TABLE} (id, watermark, written_at) VALUES (?, ?, ?)`).run(marker.id, marker.watermark, new Date().toISOString());
        // The table stays small: the agent only ever needs recent markers.
        this.db.prepare(`DELETE FROM ${MARKER_TABLE} WHERE seq <= (SELECT max(seq) FROM ${MARKER_TABLE}) - 1000`).run();
        return true;
      })
      .immediate();
  }

  private get newest() {
    return this.db.prepare(`SELECT id, watermark FROM ${MARKER_TABLE} ORDER BY seq DESC LIMIT 1`);
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private select(table: SourceTable, tail: string) {
    return this.db.prepare(`SELECT ${[...table.columns.map((c) => q(c.name)), this.vc].join(', ')} FROM ${q(table.name)} ${tail}`).raw();
  }

  private columnar(table: SourceTable, rows: SqliteValue[][]): ColumnarRows {
    const n = table.columns.length;
    return {
      columns: table.columns.map((c) => c.name),
      values: table.columns.map((c, i) => rows.map((r) => toWire(c.type, r[i]))),
      versions: rows.map((r) => (r[n] as bigint).toString()),
    };
  }

  private keysAndVersions(table: SourceTable) {
    return this.db
      .prepare(`SELECT ${[...table.key.map(q), this.vc].join(', ')} FROM ${q(table.name)} WHERE ${this.vcq} > ? AND ${this.vcq} <= ? ORDER BY ${this.vcq}`)
      .raw();
  }

  private keyTypes(table: SourceTable): ColumnType[] {
    return table.key.map((k) => table.columns.find((c) => c.name === k)!.type);
  }

  private requireTracking<T>(read: () => T): T {
    try {
      return read();
    } catch (err) {
      if (/no such (table|column)/.test(String(err))) throw new Error(`version tracking is not installed in this database: run "rowferry-agent track" (${(err as Error).message})`);
      throw err;
    }
  }
}
