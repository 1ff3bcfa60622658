import mysql from 'mysql2/promise';
import { decodeKey, type ColumnarRows, type ColumnType, type VersionRange } from '#contracts';
import type { Marker, RangeDigest } from '#sync';
import { digestsOf, manifestOf } from './key-rows.js';
import { keyedTable, type Source, type SourceTable } from './source.js';
import { mysqlColumn, mysqlToWire, type MysqlValue } from './type-mapping.js';

/** The version column `track` installs, unless the config names an existing one. */
export const VERSION_COLUMN = '_rowferry_version';
const SEQUENCE = '_rowferry_version_seq';
const MARKERS = '_rowferry_markers';
/** InnoDB's INFORMATION_SCHEMA transaction cache may be this old (100 ms), with a margin. */
const TRX_CACHE_MS = 200;

const q = (name: string) => `\`${name.replace(/`/g, '``')}\``;

/**
 * A MySQL/MariaDB source. Tracking is a sequence (MariaDB 10.3+) and BEFORE INSERT/UPDATE triggers per table.
 * Sequence values are handed out before commit, so the ahead path reads only up to a watermark proven safe by
 * waiting for the InnoDB transactions that were running when the counter was read (see safeWatermark).
 */
export class MysqlSource implements Source {
  private readonly pool: mysql.Pool;
  private checkpoints: { counter: bigint; running: Set<string> }[] = [];
  private safe = 0n;
  private readonly vc: string;
  private readonly vcq: string;
  private readonly described = new Set<string>();

  /** @param existingVersionColumn a version column the application already keeps; `track` then installs only markers */
  constructor(
    url: string,
    private readonly existingVersionColumn?: string,
  ) {
    this.vc = existingVersionColumn ?? VERSION_COLUMN;
    this.vcq = q(this.vc);
    this.pool = mysql.createPool({
      uri: url,
      connectionLimit: 2,
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      decimalNumbers: false,
      timezone: 'Z',
      jsonStrings: true, // JSON documents exactly as stored, never re-serialised
      rowsAsArray: true,
    });
    this.pool.on('connection', (c) => c.query(`SET time_zone = '+00:00'`));
  }

  private async rows<T = MysqlValue[]>(sql: string, params: unknown[] = []): Promise<T[]> {
    const [rows] = await this.pool.query(sql, params.map((p) => (typeof p === 'bigint' ? p.toString() : p)));
    return rows as T[];
  }

  async describe(table: string, keyOverride?: string[]): Promise<SourceTable> {
    const info = await this.rows<[string, string, string]>(
      `SELECT COLUMN_NAME, COLUMN_TYPE, COLUMN_KEY FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
      [table],
    );
    if (info.length === 0) throw new Error(`table "${table}" does not exist in the MySQL/MariaDB database`);
    if (this.existingVersionColumn && !info.some(([name]) => name === this.vc)) throw new Error(`table "${table}" has no version column "${this.vc}" (source.versionColumn in the config)`);
    this.described.add(table);
    const columns = info.filter(([name]) => name !== this.vc).map(([name, type]) => mysqlColumn(name, type));
    const pk = (
      await this.rows<[string]>(
        `SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION`,
        [table],
      )
    ).map(([name]) => name);
    return keyedTable(table, columns, pk, keyOverride);
  }

  async installTracking(tables: string[]): Promise<string[]> {
    const done: string[] = [];
    // DDL commits implicitly in MySQL: each step is idempotent instead, so running track again finishes the job.
    await this.pool.query(`CREATE TABLE IF NOT EXISTS ${MARKERS} (seq BIGINT AUTO_INCREMENT PRIMARY KEY, id VARCHAR(64) NOT NULL UNIQUE, watermark BIGINT NOT NULL, written_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) ENGINE=InnoDB`);
    if (this.existingVersionColumn) return [`versions come from the existing column "${this.vc}": only the restore markers table is installed`];
    await this.pool.query(`CREATE SEQUENCE IF NOT EXISTS ${SEQUENCE} NOCACHE`);
    for (const table of tables) {
      const exists = await this.rows(`SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`, [table]);
      if (exists.length === 0) throw new Error(`table "${table}" does not exist in the MySQL/MariaDB database`);
      const t = q(table);
      await this.pool.query(`ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS ${this.vcq} BIGINT NULL`);
      // Triggers before numbering: every row written from now on gets its version from them, and every row written
      // before (NULL) is numbered next. The other order loses rows written in between (each DDL commits on its own).
      for (const event of ['INSERT', 'UPDATE'])
        await this.pool.query(`CREATE OR REPLACE TRIGGER ${q(`_rowferry_${table}_${event.toLowerCase()}`)} BEFORE ${event} ON ${t} FOR EACH ROW SET NEW.${this.vcq} = NEXTVAL(${SEQUENCE})`);
      // Touching the row is enough: the update trigger stamps it (MariaDB refuses NEXTVAL here and in the trigger).
      const [res] = await this.pool.query(`UPDATE ${t} SET ${this.vcq} = NULL WHERE ${this.vcq} IS NULL`);
      const n = (res as { affectedRows: number }).affectedRows;
      if (n) done.push(`${table}: versioned ${n} existing rows`);
      await this.pool.query(`CREATE INDEX IF NOT EXISTS ${q(`_rowferry_${table}_version`)} ON ${t} (${this.vcq})`);
      done.push(`${table}: column ${this.vcq}, triggers and index in place`);
    }
    return done;
  }

  /**
   * A version is handed out inside a running InnoDB transaction. Each call records the counter and the
   * transactions running right after it was read; once none of them runs any more, every version up to that
   * counter is committed or rolled back, and the counter is safe (at once, when none was running).
   */
  async safeWatermark(): Promise<bigint> {
    // The application's own versions carry no proof of commit order (docs/sources.md).
    if (this.existingVersionColumn) return this.versionCounter();
    const counter = await this.versionCounter();
    // InnoDB serves INNODB_TRX from a cache refreshed at most every 100 ms: wait past that, so the list read below
    // was taken after the counter was read.
    await new Promise((r) => setTimeout(r, TRX_CACHE_MS));
    let trx: [string, string][];
    try {
      trx = await this.rows<[string, string]>(`SELECT CONCAT(trx_mysql_thread_id, '@', trx_started), trx_mysql_thread_id FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id <> CONNECTION_ID()`);
    } catch (err) {
      throw new Error(`cannot read running transactions (information_schema.INNODB_TRX needs the PROCESS privilege): ${(err as Error).message}`);
    }
    const running = new Set(trx.map(([id]) => id));
    this.checkpoints.push({ counter, running });
    for (const c of this.checkpoints) {
      if ([...c.running].every((id) => !running.has(id)) && c.counter > this.safe) this.safe = c.counter;
    }
    this.checkpoints = this.checkpoints.filter((c) => c.counter > this.safe).slice(-1000);
    return this.safe;
  }

  async versionCounter(): Promise<bigint> {
    if (this.existingVersionColumn) {
      let max = 0n;
      for (const t of this.described) {
        const [[v]] = await this.rows<[string | null]>(`SELECT MAX(${this.vcq}) FROM ${q(t)}`);
        if (v !== null && BigInt(v) > max) max = BigInt(v);
      }
      return max;
    }
    const [[next]] = await this.requireTracking(() => this.rows<[string]>(`SELECT next_not_cached_value FROM ${SEQUENCE}`));
    return BigInt(next) - 1n;
  }

  async localMax(table: SourceTable): Promise<bigint> {
    const [[v]] = await this.requireTracking(() => this.rows<[string | null]>(`SELECT MAX(${this.vcq}) FROM ${q(table.name)}`));
    return v === null ? 0n : BigInt(v);
  }

  async count(table: SourceTable): Promise<number> {
    const [[n]] = await this.rows<[string]>(`SELECT COUNT(*) FROM ${q(table.name)}`);
    return Number(n);
  }

  async rowsAfter(table: SourceTable, after: bigint, upTo: bigint, limit: number): Promise<ColumnarRows> {
    return this.columnar(table, await this.select(table, `WHERE ${this.vcq} > ? AND ${this.vcq} <= ? ORDER BY ${this.vcq} LIMIT ?`, [after, upTo, limit]));
  }

  async versionsAfter(table: SourceTable, after: bigint, limit: number): Promise<bigint[]> {
    return (await this.rows<[string]>(`SELECT ${this.vcq} FROM ${q(table.name)} WHERE ${this.vcq} > ? ORDER BY ${this.vcq} LIMIT ?`, [after, limit])).map(([v]) => BigInt(v));
  }

  async manifest(table: SourceTable, ranges: readonly VersionRange[]): Promise<Map<string, bigint>> {
    return manifestOf(await this.keysAndVersions(table, ranges), this.keyTypes(table), mysqlToWire);
  }

  async digests(table: SourceTable, ranges: readonly VersionRange[]): Promise<RangeDigest[]> {
    return digestsOf(await this.keysAndVersions(table, ranges), this.keyTypes(table), mysqlToWire, ranges);
  }

  async rowsWithVersions(table: SourceTable, versions: bigint[]): Promise<ColumnarRows> {
    if (versions.length === 0) return this.columnar(table, []);
    return this.columnar(table, await this.select(table, `WHERE ${this.vcq} IN (?) ORDER BY ${this.vcq}`, [versions.map(String)]));
  }

  async versionOfKey(table: SourceTable, key: string): Promise<bigint | undefined> {
    const types = this.keyTypes(table);
    const values = decodeKey(types, key).map((v, i) => (types[i] === 'bytea' ? Buffer.from(String(v), 'base64') : types[i] === 'boolean' ? (v ? 1 : 0) : v));
    // Byte for byte, whatever the column's collation (the default ignores case and accents, and pads spaces), design
    // §3.4: the collation's own match first (it can use the index), then the UTF-8 bytes.
    const where = table.key.map((k, i) => (types[i] === 'text' ? `${q(k)} = ? AND CAST(CONVERT(${q(k)} USING utf8mb4) AS BINARY) = CAST(CONVERT(? USING utf8mb4) AS BINARY)` : `${q(k)} = ?`)).join(' AND ');
    const params = values.flatMap((v, i) => (types[i] === 'text' ? [v, v] : [v]));
    const rows = await this.rows<[string]>(`SELECT ${this.vcq} FROM ${q(table.name)} WHERE ${where}`, params);
    return rows.length ? BigInt(rows[0][0]) : undefined;
  }

  async newestMarker(): Promise<Marker | undefined> {
    const rows = await this.requireTracking(() => this.rows<[string, string]>(`SELECT id, watermark FROM ${MARKERS} ORDER BY seq DESC LIMIT 1`));
    return rows.length ? { id: rows[0][0], watermark: BigInt(rows[0][1]) } : undefined;
  }

  async writeMarker(marker: Marker, expected: string | undefined): Promise<boolean> {
    const c = await this.pool.getConnection();
    try {
      await c.beginTransaction();
      // FOR UPDATE locks the newest row and the gap above it: nothing can come between the compare and the write.
      const [rows] = await c.query(`SELECT id FROM ${MARKERS} ORDER BY seq DESC LIMIT 1 FOR UPDATE`);
      if ((rows as [string][])[0]?.[0] !== expected) {
        await c.rollback();
        return false;
      }
      await c.query(`INSERT INTO ${MARKERS} (id, watermark) VALUES (?, ?)`, [marker.id, marker.watermark.toString()]);
      await c.query(`DELETE FROM ${MARKERS} WHERE seq <= (SELECT m FROM (SELECT MAX(seq) - 1000 AS m FROM ${MARKERS}) x)`);
      await c.commit();
      return true;
    } catch (err) {
      await c.rollback().catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  async resetAfterRestore(): Promise<void> {
    // The sequence was rewound with the data: what was proven safe of the old counter says nothing now.
    this.checkpoints = [];
    this.safe = 0n;
  }

  async reopenIfReplaced(): Promise<boolean> {
    return false;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private select(table: SourceTable, tail: string, params: unknown[]): Promise<MysqlValue[][]> {
    return this.rows(`SELECT ${[...table.columns.map((c) => q(c.name)), this.vc].join(', ')} FROM ${q(table.name)} ${tail}`, params);
  }

  private async keysAndVersions(table: SourceTable, ranges: readonly VersionRange[]): Promise<MysqlValue[][]> {
    if (ranges.length === 0) return [];
    const where = ranges.map(() => `(${this.vcq} > ? AND ${this.vcq} <= ?)`).join(' OR ');
    return this.rows(`SELECT ${[...table.key.map(q), this.vc].join(', ')} FROM ${q(table.name)} WHERE ${where} ORDER BY ${this.vcq}`, ranges.flatMap((r) => [r.after, r.upTo]));
  }

  private columnar(table: SourceTable, rows: MysqlValue[][]): ColumnarRows {
    const n = table.columns.length;
    return {
      columns: table.columns.map((c) => c.name),
      values: table.columns.map((c, i) => rows.map((r) => mysqlToWire(c.type, r[i]))),
      versions: rows.map((r) => String(r[n])),
    };
  }

  private keyTypes(table: SourceTable): ColumnType[] {
    return table.key.map((k) => table.columns.find((c) => c.name === k)!.type);
  }

  private async requireTracking<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ER_NO_SUCH_TABLE' || code === 'ER_BAD_FIELD_ERROR')
        throw new Error(`version tracking is not installed in this database: run "rowferry-agent track" (${(err as Error).message})`);
      throw err;
    }
  }
}
