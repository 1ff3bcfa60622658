import type Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { decodeKey, quoteIdent as q, type ColumnarRows, type VersionRange, type WireValue } from '#contracts';
import type { Marker } from '#sync';
import { driver } from '../driver.js';
import { keyTypes, type SourceTable } from '../source.js';
import { columnarOf } from '../source-rows.js';
import {
  deleteLogName,
  MARKERS_KEPT,
  sideTableName,
  TrackedSource,
  type TableShape,
  type TableTracking,
} from '../tracked-source.js';
import { sideTableReason, type SqliteTrigger } from './sqlite.tracking-mode.js';
import { sqliteColumn, sqliteToWire, wireToSqlite, type SqliteValue } from './sqlite.types.js';

const COUNTER_TABLE = '_rowferry_counter';
/** What `track` and every pass say of a table whose version column's stamps run the application's triggers. */
function columnModeWarning(reason: string): string {
  return `WARNING: ${reason}; move the table to a side table (remove its tracking, docs/agent.md, then track it again)`;
}

/** In a trigger: take the next version, and read it. */
const BUMP = `UPDATE ${COUNTER_TABLE} SET value = value + 1 WHERE id = 1;`;
const COUNTER = `(SELECT value FROM ${COUNTER_TABLE} WHERE id = 1)`;
const MARKER_TABLE = '_rowferry_markers';

/**
 * A SQLite source. Tracking is a one-row counter table and AFTER INSERT/UPDATE triggers per table stamping the
 * version column. SQLite has one writer at a time and the counter moves inside its transaction, so everything
 * visible is committed: the safe watermark is the counter itself.
 */
export class SqliteSource extends TrackedSource<SqliteValue> {
  private db: Database.Database;
  /** The file opened, to notice a restore that replaced it (by rename: the handle still reads the old file). */
  private inode: number;

  constructor(
    private readonly path: string,
    existingVersionColumn?: string,
  ) {
    super(q, sqliteToWire, 'the SQLite database', existingVersionColumn);
    [this.db, this.inode] = SqliteSource.open(path);
  }

  private static open(path: string): [Database.Database, number] {
    const db = new (driver<typeof Database>('better-sqlite3'))(path, { fileMustExist: true });
    db.defaultSafeIntegers(true); // 64-bit integers arrive as BigInt, never rounded
    db.pragma('busy_timeout = 5000');
    // better-sqlite3 builds SQLite with a 16 MB page cache; the agent reads each page about once a pass, and the
    // operating system's cache serves the rest: 4 MB keeps the agent's memory small (docs/operations.md, Memory).
    db.pragma('cache_size = -4000');
    return [db, statSync(path).ino];
  }

  override async reopenIfReplaced(): Promise<boolean> {
    if (statSync(this.path).ino === this.inode) return false;
    await this.resetAfterRestore();
    return true;
  }

  async resetAfterRestore(): Promise<void> {
    this.db.close();
    [this.db, this.inode] = SqliteSource.open(this.path);
    await this.forgetDeletesAboveCounter();
  }

  protected async readShape(table: string): Promise<TableShape | undefined> {
    // table_xinfo, not table_info: generated columns (hidden 2 and 3) are the application's values too, synced as
    // the source computed them; hidden 1 is a virtual table's hidden column.
    const info = (
      this.db.prepare(`PRAGMA table_xinfo(${q(table)})`).all() as {
        name: string;
        type: string;
        pk: bigint;
        hidden: bigint;
      }[]
    ).filter((c) => c.hidden !== 1n);
    if (info.length === 0) return undefined;
    return {
      columns: info.map((c) => ({ column: sqliteColumn(c.name, c.type) })),
      primaryKey: info
        .filter((c) => c.pk > 0n)
        .sort((a, b) => Number(a.pk - b.pk))
        .map((c) => c.name),
    };
  }

  protected async installMarkers(): Promise<void> {
    this.db.exec(
      `CREATE TABLE IF NOT EXISTS ${MARKER_TABLE} (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, watermark INTEGER NOT NULL, written_at TEXT NOT NULL)`,
    );
  }

  protected async installVersioning(tables: TableTracking[]): Promise<string[]> {
    const done: string[] = [];
    this.db.transaction(() => {
      this.db
        .exec(`CREATE TABLE IF NOT EXISTS ${COUNTER_TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
        INSERT OR IGNORE INTO ${COUNTER_TABLE} VALUES (1, 0);`);
      for (const tracked of tables) {
        const table = tracked.name;
        const t = q(table);
        // Described already (it exists); its declared types are what the side table and the delete log copy.
        const cols = this.db.prepare(`PRAGMA table_info(${t})`).all() as { name: string; type: string }[];
        const hasColumn = cols.some((c) => c.name === this.vc);
        const withoutRowid = this.isWithoutRowid(table);
        const reason = sideTableReason(withoutRowid, this.triggersOn(table), this.vc);
        if (tracked.sideTable || (reason && !hasColumn)) {
          if (!tracked.sideTable) done.push(`${table}: tracked with a side table: ${reason}`);
          done.push(...this.installSideTable(tracked, cols, withoutRowid));
          this.installDeleteLog(tracked, cols);
          continue;
        }
        if (reason) done.push(`${table}: ${columnModeWarning(reason)}`);
        if (!hasColumn) {
          this.db.exec(`ALTER TABLE ${t} ADD COLUMN ${this.vcq} INTEGER`);
          done.push(`${table}: added column ${this.vcq}`);
        }
        // Existing rows get distinct versions above the counter, numbered in rowid order (a rowid may be 0 or
        // negative).
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
        const stamp = `${BUMP} UPDATE ${t} SET ${this.vcq} = ${COUNTER} WHERE rowid = NEW.rowid;`;
        // Every write gets a fresh version, whatever the application wrote into the column (a row read with SELECT *
        // and written back whole carries an old one). The trigger's own update sets the counter's value, which stops
        // it there even with recursive_triggers on. Re-created, so running track again upgrades older triggers.
        this.db.exec(`CREATE INDEX IF NOT EXISTS ${q(`_rowferry_${table}_version`)} ON ${t} (${this.vcq});
          DROP TRIGGER IF EXISTS ${q(`_rowferry_${table}_insert`)};
          DROP TRIGGER IF EXISTS ${q(`_rowferry_${table}_update`)};
          CREATE TRIGGER ${q(`_rowferry_${table}_insert`)} AFTER INSERT ON ${t} BEGIN ${stamp} END;
          CREATE TRIGGER ${q(`_rowferry_${table}_update`)} AFTER UPDATE ON ${t}
            WHEN NEW.${this.vcq} IS OLD.${this.vcq} OR NEW.${this.vcq} IS NOT ${COUNTER} BEGIN ${stamp} END;`);
        this.installDeleteLog(tracked, cols);
        done.push(`${table}: triggers, index and delete log in place`);
      }
    })();
    return done;
  }

  private isWithoutRowid(table: string): boolean {
    return (
      this.db
        .prepare(`SELECT wr FROM pragma_table_list WHERE schema = 'main' AND name = ? COLLATE NOCASE`)
        .pluck()
        .get(table) === 1n
    );
  }

  /** The table's triggers, however their statements spelled its name (SQLite's names ignore case). */
  private triggersOn(table: string): SqliteTrigger[] {
    return this.db
      .prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? COLLATE NOCASE`)
      .all(table) as SqliteTrigger[];
  }

  /**
   * A table tracked with a version column that has gained an application trigger its stamps run: said on every pass
   * until the table moves to a side table.
   */
  protected override async trackNewParts(table: SourceTable): Promise<string[]> {
    if (this.isSided(table.name)) return [];
    const reason = sideTableReason(false, this.triggersOn(table.name), this.vc);
    return reason ? [columnModeWarning(reason)] : [];
  }

  /**
   * Side-table tracking (docs/sources.md, Side tables): the table stays as it is; `_rowferry_<table>_rows` holds each
   * row's key and version, kept by triggers from the same counter (a key change moves the version to the new key).
   * Existing rows get versions above the counter, in key order.
   */
  private installSideTable(
    table: TableTracking,
    cols: { name: string; type: string }[],
    withoutRowid: boolean,
  ): string[] {
    const t = q(table.name);
    if (cols.some((c) => c.name === this.vc))
      throw new Error(
        `table "${table.name}" is tracked with a version column; remove it (docs/agent.md) before tracking the table with a side table`,
      );
    const side = q(sideTableName(table.name));
    const keys = table.key.map(q);
    const list = keys.join(', ');
    // A key with a NULL part gets no side row: no row of the table can be found by it (unversionedRows).
    const upsert = `INSERT INTO ${side} (${list}, ${this.vcq}) SELECT ${keys.map((k) => `NEW.${k}`).join(', ')}, ${COUNTER}
      WHERE ${keys.map((k) => `NEW.${k} IS NOT NULL`).join(' AND ')}
      ON CONFLICT (${list}) DO UPDATE SET ${this.vcq} = excluded.${this.vcq};`;
    const oldKey = keys.map((k) => `${k} = OLD.${k}`).join(' AND ');
    // Beside a WITHOUT ROWID table, one too: a lone INTEGER key would else become the side table's rowid, which
    // refuses the text a WITHOUT ROWID table's INTEGER column takes.
    this.createKeyTable(sideTableName(table.name), table, cols, `, PRIMARY KEY (${list})`, withoutRowid);
    const n = this.numberSideRows(table);
    this.db.exec(`DROP TRIGGER IF EXISTS ${q(`_rowferry_${table.name}_insert`)};
      DROP TRIGGER IF EXISTS ${q(`_rowferry_${table.name}_update`)};
      DROP TRIGGER IF EXISTS ${q(`_rowferry_${table.name}_forget`)};
      CREATE TRIGGER ${q(`_rowferry_${table.name}_insert`)} AFTER INSERT ON ${t} BEGIN ${BUMP} ${upsert} END;
      CREATE TRIGGER ${q(`_rowferry_${table.name}_update`)} AFTER UPDATE ON ${t} BEGIN
        DELETE FROM ${side} WHERE (${keyChanged(keys)}) AND ${oldKey};
        ${BUMP} ${upsert} END;
      CREATE TRIGGER ${q(`_rowferry_${table.name}_forget`)} AFTER DELETE ON ${t} BEGIN DELETE FROM ${side} WHERE ${oldKey}; END;`);
    return [
      ...(n ? [`${table.name}: versioned ${n} existing rows in ${sideTableName(table.name)}`] : []),
      `${table.name}: side table ${sideTableName(table.name)}, its triggers and the delete log in place (the table is untouched)`,
    ];
  }

  /** Keys without a side row get one, with versions above the counter in key order (a table may have no rowid). */
  private numberSideRows(table: SourceTable): number {
    const keys = table.key.map(q);
    const base = this.db.prepare(`SELECT value FROM ${COUNTER_TABLE} WHERE id = 1`).pluck().get() as bigint;
    const n = this.db
      .prepare(
        `INSERT INTO ${q(sideTableName(table.name))} (${keys.join(', ')}, ${this.vcq})
           SELECT ${keys.map((k) => `t.${k}`).join(', ')}, ? + row_number() OVER (ORDER BY ${keys.map((k) => `t.${k}`).join(', ')})
             FROM ${this.unversionedRows(table, true)}`,
      )
      .run(base).changes;
    this.db.prepare(`UPDATE ${COUNTER_TABLE} SET value = value + ? WHERE id = 1`).run(n);
    return n;
  }

  /**
   * A row without a version (its version column cleared by hand, or rows copied in with the column empty): touching it
   * is enough for the update trigger to stamp it. A key without a side row gets one.
   */
  protected async stampRows(table: SourceTable, sided: boolean): Promise<number> {
    if (sided) return this.db.transaction(() => this.numberSideRows(table))();
    return this.db.prepare(`UPDATE ${q(table.name)} SET ${this.vcq} = NULL WHERE ${this.vcq} IS NULL`).run().changes;
  }

  /**
   * The delete log (docs/sync-model.md, Deletes): a delete, or an update that changes the key (the old key is gone),
   * logs the old key with a fresh version from the counter. Keys compare byte for byte, whatever their collation.
   */
  private installDeleteLog(table: SourceTable, cols: { name: string; type: string }[]): void {
    const t = q(table.name);
    const log = q(deleteLogName(table.name));
    const keys = table.key.map(q);
    const logIt = `${BUMP} INSERT INTO ${log} (${keys.join(', ')}, ${this.vcq})
      VALUES (${keys.map((k) => `OLD.${k}`).join(', ')}, ${COUNTER});`;
    this.createKeyTable(deleteLogName(table.name), table, cols);
    this.db.exec(`DROP TRIGGER IF EXISTS ${q(`_rowferry_${table.name}_delete`)};
      DROP TRIGGER IF EXISTS ${q(`_rowferry_${table.name}_rekey`)};
      CREATE TRIGGER ${q(`_rowferry_${table.name}_delete`)} AFTER DELETE ON ${t} BEGIN ${logIt} END;
      CREATE TRIGGER ${q(`_rowferry_${table.name}_rekey`)} AFTER UPDATE ON ${t} WHEN ${keyChanged(keys)} BEGIN ${logIt} END;`);
  }

  /**
   * A tracking table holding a table's keys (side table, delete log): its key columns with the table's declared types,
   * and an indexed version; `constraint` adds to its definition.
   */
  private createKeyTable(
    name: string,
    table: SourceTable,
    cols: { name: string; type: string }[],
    constraint = '',
    withoutRowid = false,
  ) {
    const declared = new Map(cols.map((c) => [c.name, c.type]));
    const columns = table.key.map((k) => `${q(k)} ${declared.get(k) ?? ''}`).join(', ');
    this.db
      .exec(`CREATE TABLE IF NOT EXISTS ${q(name)} (${columns}, ${this.vcq} INTEGER NOT NULL${constraint})${withoutRowid ? ' WITHOUT ROWID' : ''};
      CREATE INDEX IF NOT EXISTS ${q(`${name}_version`)} ON ${q(name)} (${this.vcq});`);
  }

  /** SQLite has one writer at a time and the counter moves inside its transaction: everything visible is committed. */
  async safeWatermark(): Promise<bigint> {
    return this.versionCounter();
  }

  protected async trackedCounter(): Promise<bigint> {
    return this.db.prepare(`SELECT value FROM ${COUNTER_TABLE} WHERE id = 1`).pluck().get() as bigint;
  }

  protected async readPulse(_tables: string[], perTable: string[]): Promise<unknown[]> {
    // schema_version moves with every change to the schema (a column, a trigger, a table): one number for all.
    return this.db
      .prepare(
        `SELECT ${COUNTER}, (SELECT schema_version FROM pragma_schema_version),
                (SELECT id FROM ${MARKER_TABLE} ORDER BY seq DESC LIMIT 1)${perTable.map((e) => `, ${e}`).join('')}`,
      )
      .raw()
      .get() as unknown[];
  }

  protected async maxVersion(table: string): Promise<bigint> {
    return this.db
      .prepare(`SELECT coalesce(max(${this.vcq}), 0) FROM ${this.versionsOf(table)}`)
      .pluck()
      .get() as bigint;
  }

  async count(table: SourceTable): Promise<number> {
    return Number(
      this.db
        .prepare(`SELECT count(*) FROM ${q(table.name)}`)
        .pluck()
        .get(),
    );
  }

  protected async selectAfter(
    table: SourceTable,
    after: bigint,
    upTo: bigint,
    limit: number,
  ): Promise<SqliteValue[][]> {
    return this.select(table, `WHERE ${this.vcq} > ? AND ${this.vcq} <= ? ORDER BY ${this.vcq} LIMIT ?`).all(
      after,
      upTo,
      limit,
    ) as SqliteValue[][];
  }

  /**
   * A batch read column by column: its versions first, then each column over exactly those versions, in one read
   * transaction (one snapshot). For a row-wise read better-sqlite3 makes an array per row, which cost the agent more
   * than SQLite's own reading; a column comes back as one array, already the shape the wire carries
   * (docs/benchmarks.md). Each write takes the counter's next value, so versions are unique and every column comes back
   * row for row in version order. Should an application's own version column repeat a value (it must not, says
   * docs/sources.md), a batch whose versions repeat (within it, or past its last row: a column then returns more rows)
   * is read row-wise.
   */
  override async rowsAfter(table: SourceTable, after: bigint, upTo: bigint, limit: number): Promise<ColumnarRows> {
    const byColumn = this.db.transaction((): ColumnarRows | undefined => {
      const versions = this.column(this.vcq, table, 'LIMIT ?').all(after, upTo, limit) as bigint[];
      const last = versions.at(-1);
      if (last === undefined) return columnarOf(table, [], sqliteToWire);
      if (versions.some((v, i) => i > 0 && v <= versions[i - 1])) return undefined;
      const values: WireValue[][] = [];
      for (const c of table.columns) {
        const column = this.column(`t.${q(c.name)}`, table).all(after, last) as SqliteValue[];
        if (column.length !== versions.length) return undefined;
        values.push(column.map((v) => sqliteToWire(c.type, v)));
      }
      return { columns: table.columns.map((c) => c.name), values, versions: versions.map(String) };
    });
    return byColumn() ?? super.rowsAfter(table, after, upTo, limit);
  }

  protected async selectVersions(table: SourceTable, versions: bigint[]): Promise<SqliteValue[][]> {
    // One statement for the whole list (a JSON array of integers), as the server engines do with ANY / IN.
    return this.select(table, `WHERE ${this.vcq} IN (SELECT value FROM json_each(?)) ORDER BY ${this.vcq}`).all(
      `[${versions.join(',')}]`,
    ) as SqliteValue[][];
  }

  async versionAt(table: SourceTable, after: bigint, n: number): Promise<bigint | undefined> {
    return this.db
      .prepare(
        `SELECT ${this.vcq} FROM ${this.versionsOf(table.name)} WHERE ${this.vcq} > ? ORDER BY ${this.vcq} LIMIT 1 OFFSET ?`,
      )
      .pluck()
      .get(after, n - 1) as bigint | undefined;
  }

  /** Streamed, one range after the other through the version index: no slice is held in memory. */
  protected async keysAndVersions(
    table: SourceTable,
    ranges: readonly VersionRange[],
  ): Promise<Iterable<SqliteValue[]>> {
    const statement = this.db
      .prepare(
        `SELECT ${this.keyColumns(table)} FROM ${this.versionsOf(table.name)} WHERE ${this.vcq} > ? AND ${this.vcq} <= ? ORDER BY ${this.vcq}`,
      )
      .raw();
    return (function* () {
      for (const r of ranges) yield* statement.iterate(r.after, r.upTo) as Iterable<SqliteValue[]>;
    })();
  }

  async versionOfKey(table: SourceTable, key: string): Promise<bigint | undefined> {
    const types = keyTypes(table);
    const values = decodeKey(types, key).map((v, i) => wireToSqlite(types[i], v));
    // Byte for byte, whatever the column's collation (NOCASE would find 'ALICE' for 'Alice'), docs/difference-check.md.
    const where = table.key.map((k) => `${q(k)} = ? COLLATE BINARY`).join(' AND ');
    return this.db
      .prepare(`SELECT ${this.vcq} FROM ${this.versionsOf(table.name)} WHERE ${where}`)
      .pluck()
      .get(...values) as bigint | undefined;
  }

  protected tableSql(table: string): string {
    return q(table);
  }

  protected trackingTable(name: string): string {
    return q(name);
  }

  protected async trackingTableExists(name: string): Promise<boolean> {
    return this.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined;
  }

  protected async queryRows(sql: string, params: unknown[]): Promise<SqliteValue[][]> {
    const statement = this.db.prepare(sql);
    if (!statement.reader) {
      statement.run(...params);
      return [];
    }
    return statement.raw().all(...params) as SqliteValue[][];
  }

  protected async readNewestMarker(): Promise<Marker | undefined> {
    const m = this.newest.get() as { id: string; watermark: bigint } | undefined;
    return m && { id: m.id, watermark: m.watermark };
  }

  async writeMarker(marker: Marker, expected: string | undefined): Promise<boolean> {
    // IMMEDIATE: the compare and the write happen under the write lock, with nothing in between.
    return this.db
      .transaction(() => {
        if ((this.newest.get() as { id: string } | undefined)?.id !== expected) return false;
        this.db
          .prepare(`INSERT INTO ${MARKER_TABLE} (id, watermark, written_at) VALUES (?, ?, ?)`)
          .run(marker.id, marker.watermark, new Date().toISOString());
        this.db
          .prepare(`DELETE FROM ${MARKER_TABLE} WHERE seq <= (SELECT max(seq) FROM ${MARKER_TABLE}) - ?`)
          .run(MARKERS_KEPT);
        return true;
      })
      .immediate();
  }

  protected isTrackingMissing(err: unknown): boolean {
    return /no such (table|column)/.test(String(err));
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private get newest() {
    return this.db.prepare(`SELECT id, watermark FROM ${MARKER_TABLE} ORDER BY seq DESC LIMIT 1`);
  }

  private select(table: SourceTable, tail: string) {
    return this.db.prepare(`SELECT ${this.rowColumns(table)} FROM ${this.rowsOf(table)} ${tail}`).raw();
  }

  /** One column (`expr`) of the rows with a version in (?, ?], in version order, then `tail`. */
  private column(expr: string, table: SourceTable, tail = '') {
    return this.db
      .prepare(
        `SELECT ${expr} FROM ${this.rowsOf(table)} WHERE ${this.vcq} > ? AND ${this.vcq} <= ? ORDER BY ${this.vcq} ${tail}`,
      )
      .pluck();
  }
}

/** In a row trigger: the row's key changed, compared byte for byte, whatever its collation. */
function keyChanged(keys: string[]): string {
  return keys.map((k) => `OLD.${k} IS NOT NEW.${k} COLLATE BINARY`).join(' OR ');
}
