import type mysql from 'mysql2/promise';
import { decodeKey, type ColumnType, type VersionRange } from '#contracts';
import type { Marker, RangeDigest } from '#sync';
import { driver } from '../driver.js';
import { cachedCounter, ServerSource, type MarkerStatements, type ServerTransaction } from '../server-source.js';
import { keyTypes, type SourceTable } from '../source.js';
import { deleteLogName, sideTableName, type TableShape, type TableTracking } from '../tracked-source.js';
import { pulseQuery } from './mariadb.pulse.js';
import { unsupportedServer } from './mariadb.server.js';
import { mariadbColumn, mariadbToWire, wireToMariadb, type MariadbValue } from './mariadb.types.js';

const SEQUENCE = '_rowferry_version_seq';
const MARKERS = '_rowferry_markers';
const MARKER_STATEMENTS: MarkerStatements = {
  // FOR UPDATE locks the newest row and the gap above it: nothing can come between the compare and the write.
  lockNewest: [`SELECT id FROM ${MARKERS} ORDER BY seq DESC LIMIT 1 FOR UPDATE`],
  insert: `INSERT INTO ${MARKERS} (id, watermark) VALUES (?, ?)`,
  trim: `DELETE FROM ${MARKERS} WHERE seq <= (SELECT m FROM (SELECT MAX(seq) - ? AS m FROM ${MARKERS}) x)`,
};
/** InnoDB's INFORMATION_SCHEMA transaction cache may be this old (100 ms), with a margin. */
const TRX_CACHE_MS = 200;

/** MariaDB's identifier quoting: backticks, inner ones doubled. */
const q = (name: string) => `\`${name.replace(/`/g, '``')}\``;

/**
 * A MariaDB source. Tracking is a sequence (MariaDB 10.3+) and BEFORE INSERT/UPDATE triggers per table.
 * Sequence values are handed out before commit, so the ahead path reads only up to a watermark proven safe by
 * waiting for the InnoDB transactions that were running when the counter was read (see safeWatermark).
 */
export class MariadbSource extends ServerSource<MariadbValue> {
  private readonly pool: mysql.Pool;
  private serverChecked: Promise<void> | undefined;
  protected readonly markerSql = MARKER_STATEMENTS;
  protected readonly missingCodes = ['ER_NO_SUCH_TABLE', 'ER_BAD_FIELD_ERROR'];

  constructor(url: string, existingVersionColumn?: string) {
    super(q, mariadbToWire, 'the MariaDB database', existingVersionColumn);
    this.pool = driver<typeof mysql>('mysql2/promise').createPool({
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

  private async rows<T = MariadbValue[]>(sql: string, params: unknown[] = []): Promise<T[]> {
    const [rows] = await this.pool.query(
      sql,
      params.map((p) => (typeof p === 'bigint' ? p.toString() : p)),
    );
    return rows as T[];
  }

  /** Refuses a server tracking cannot work on (MySQL, MariaDB before 10.3) before anything else is asked of it. */
  private requireMariadb(): Promise<void> {
    this.serverChecked ??= this.rows<[string]>(`SELECT VERSION()`).then(([[version]]) => {
      const problem = unsupportedServer(version);
      if (problem) throw new Error(problem);
    });
    return this.serverChecked;
  }

  protected async readShape(table: string): Promise<TableShape | undefined> {
    await this.requireMariadb();
    const info = await this.rows<[string, string]>(
      `SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
      [table],
    );
    if (info.length === 0) return undefined;
    const pk = await this.rows<[string]>(
      `SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION`,
      [table],
    );
    const primaryKey = pk.map(([name]) => name);
    return { columns: info.map(([name, type]) => mariadbColumn(name, type, primaryKey.includes(name))), primaryKey };
  }

  protected async installMarkers(): Promise<void> {
    await this.requireMariadb();
    await this.pool.query(
      `CREATE TABLE IF NOT EXISTS ${MARKERS} (seq BIGINT AUTO_INCREMENT PRIMARY KEY, id VARCHAR(64) NOT NULL UNIQUE, watermark BIGINT NOT NULL, written_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) ENGINE=InnoDB`,
    );
  }

  /** DDL commits implicitly in MariaDB: each step is idempotent instead, so running track again finishes the job. */
  protected async installVersioning(tables: TableTracking[]): Promise<string[]> {
    const done: string[] = [];
    await this.pool.query(`CREATE SEQUENCE IF NOT EXISTS ${SEQUENCE} NOCACHE`);
    await this.pool.query(`ALTER SEQUENCE ${SEQUENCE} NOCACHE`); // one altered since (trackedCounter refuses it)
    for (const tracked of tables) {
      const table = tracked.name; // described already: it exists
      const t = q(table);
      if (tracked.sideTable) {
        done.push(...(await this.installSideTable(tracked)));
        await this.installDeleteLog(tracked);
        continue;
      }
      await this.pool.query(`ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS ${this.vcq} BIGINT NULL`);
      // Triggers before numbering: every row written from now on gets its version from them, and every row written
      // before (NULL) is numbered next. The other order loses rows written in between (each DDL commits on its own).
      for (const event of ['INSERT', 'UPDATE'])
        await this.pool.query(
          `CREATE OR REPLACE TRIGGER ${q(`_rowferry_${table}_${event.toLowerCase()}`)} BEFORE ${event} ON ${t} FOR EACH ROW SET NEW.${this.vcq} = NEXTVAL(${SEQUENCE})`,
        );
      // A row written where no trigger fires (a replica applying an untracked primary's rows) still takes a version.
      await this.pool.query(`ALTER TABLE ${t} ALTER COLUMN ${this.vcq} SET DEFAULT (NEXTVAL(${SEQUENCE}))`);
      const n = await this.stampRows(tracked, false);
      if (n) done.push(`${table}: versioned ${n} existing rows`);
      await this.pool.query(`CREATE INDEX IF NOT EXISTS ${q(`_rowferry_${table}_version`)} ON ${t} (${this.vcq})`);
      await this.installDeleteLog(tracked);
      done.push(`${table}: column ${this.vcq}, triggers, index and delete log in place`);
    }
    return done;
  }

  /**
   * Touching a row is enough for the update trigger to stamp it (MariaDB refuses NEXTVAL in the statement when the
   * trigger uses it too); a column that changes itself on update (`ON UPDATE CURRENT_TIMESTAMP`, an application's
   * `last_update`) is set to its own value, which keeps it as it was. A key without a side row gets one, its row
   * locked so that a delete meanwhile waits.
   */
  protected async stampRows(table: SourceTable, sided: boolean): Promise<number> {
    let sql: string;
    if (sided) {
      const keys = table.key.map(q);
      sql = `INSERT IGNORE INTO ${q(sideTableName(table.name))} (${keys.join(', ')}, ${this.vcq})
        SELECT ${keys.map((k) => `t.${k}`).join(', ')}, NEXTVAL(${SEQUENCE}) FROM ${this.unversionedRows(table, true)}
        LOCK IN SHARE MODE`;
    } else {
      const selfUpdating = await this.rows<[string]>(
        `SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND EXTRA LIKE '%on update%'`,
        [table.name],
      );
      const keep = selfUpdating.map(([c]) => `, ${q(c)} = ${q(c)}`).join('');
      sql = `UPDATE ${q(table.name)} SET ${this.vcq} = NULL${keep} WHERE ${this.vcq} IS NULL`;
    }
    const [res] = await this.pool.query(sql);
    return (res as { affectedRows: number }).affectedRows;
  }

  /**
   * Side-table tracking (docs/sources.md, Side tables): the table stays as it is; `_rowferry_<table>_rows` (its key
   * columns copied with their type and character set) holds each row's key and version, kept by triggers from the
   * sequence; a key change moves the version to the new key. Triggers come before numbering the existing rows (each DDL
   * commits on its own), and the numbering leaves rows the triggers already wrote alone.
   */
  private async installSideTable(table: TableTracking): Promise<string[]> {
    const t = q(table.name);
    const columns = await this.rows(
      `SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?`,
      [table.name, this.vc],
    );
    if (columns.length)
      throw new Error(
        `table "${table.name}" is tracked with a version column; remove it (docs/sources.md) before tracking the table with a side table`,
      );
    const side = q(sideTableName(table.name));
    const keys = table.key.map(q);
    const list = keys.join(', ');
    const upsert = `INSERT INTO ${side} (${list}, ${this.vcq}) VALUES (${keys.map((k) => `NEW.${k}`).join(', ')}, NEXTVAL(${SEQUENCE}))
      ON DUPLICATE KEY UPDATE ${this.vcq} = VALUES(${this.vcq})`;
    const forget = `DELETE FROM ${side} WHERE ${keys.map((k) => `${k} = OLD.${k}`).join(' AND ')}`;
    await this.createKeyTable(sideTableName(table.name), table);
    await this.pool.query(
      `CREATE UNIQUE INDEX IF NOT EXISTS ${q(`${sideTableName(table.name)}_key`)} ON ${side} (${list})`,
    );
    await this.pool.query(
      `CREATE OR REPLACE TRIGGER ${q(`_rowferry_${table.name}_insert`)} AFTER INSERT ON ${t} FOR EACH ROW ${upsert}`,
    );
    await this.pool.query(
      `CREATE OR REPLACE TRIGGER ${q(`_rowferry_${table.name}_update`)} AFTER UPDATE ON ${t} FOR EACH ROW
         BEGIN IF ${keyChanged(keys)} THEN ${forget}; END IF; ${upsert}; END`,
    );
    await this.pool.query(
      `CREATE OR REPLACE TRIGGER ${q(`_rowferry_${table.name}_forget`)} AFTER DELETE ON ${t} FOR EACH ROW ${forget}`,
    );
    const [res] = await this.pool.query(
      `INSERT IGNORE INTO ${side} (${list}, ${this.vcq}) SELECT ${list}, NEXTVAL(${SEQUENCE}) FROM ${t}`,
    );
    const n = (res as { affectedRows: number }).affectedRows;
    return [
      ...(n ? [`${table.name}: versioned ${n} existing rows in ${sideTableName(table.name)}`] : []),
      `${table.name}: side table ${sideTableName(table.name)}, its triggers and the delete log in place (the table is untouched)`,
    ];
  }

  /**
   * A tracking table holding a table's keys (side table, delete log): its key columns copied from the table (type,
   * character set), and an indexed version.
   */
  private async createKeyTable(name: string, table: SourceTable): Promise<void> {
    const kt = q(name);
    await this.pool.query(
      `CREATE TABLE IF NOT EXISTS ${kt} ENGINE=InnoDB SELECT ${table.key.map(q).join(', ')} FROM ${q(table.name)} LIMIT 0`,
    );
    await this.pool.query(`ALTER TABLE ${kt} ADD COLUMN IF NOT EXISTS ${this.vcq} BIGINT NOT NULL`);
    await this.pool.query(`CREATE INDEX IF NOT EXISTS ${q(`${name}_version`)} ON ${kt} (${this.vcq})`);
  }

  /**
   * The delete log (docs/sync-model.md, Deletes): a delete, or an update that changes the key (the old key is gone),
   * logs the old key with a fresh version from the sequence. The log's key columns are copied from the table (type,
   * character set); keys compare byte for byte, whatever their collation.
   */
  private async installDeleteLog(table: SourceTable): Promise<void> {
    const t = q(table.name);
    const log = q(deleteLogName(table.name));
    const keys = table.key.map(q);
    const logIt = `INSERT INTO ${log} (${keys.join(', ')}, ${this.vcq}) VALUES (${keys.map((k) => `OLD.${k}`).join(', ')}, NEXTVAL(${SEQUENCE}))`;
    await this.createKeyTable(deleteLogName(table.name), table);
    await this.pool.query(
      `CREATE OR REPLACE TRIGGER ${q(`_rowferry_${table.name}_delete`)} AFTER DELETE ON ${t} FOR EACH ROW ${logIt}`,
    );
    await this.pool.query(
      `CREATE OR REPLACE TRIGGER ${q(`_rowferry_${table.name}_rekey`)} AFTER UPDATE ON ${t} FOR EACH ROW
         IF ${keyChanged(keys)} THEN ${logIt}; END IF`,
    );
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
    let trx: [string][];
    try {
      trx = await this.rows<[string]>(
        `SELECT CONCAT(trx_mysql_thread_id, '@', trx_started) FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id <> CONNECTION_ID()`,
      );
    } catch (err) {
      throw new Error(
        `cannot read running transactions (information_schema.INNODB_TRX needs the PROCESS privilege): ${(err as Error).message}`,
        { cause: err },
      );
    }
    return this.advanceWatermark(
      counter,
      trx.map(([id]) => id),
    );
  }

  protected async trackedCounter(): Promise<bigint> {
    const [[next, cache]] = await this.rows<[string, string]>(
      `SELECT next_not_cached_value, cache_size FROM ${SEQUENCE}`,
    );
    if (BigInt(cache) > 0n) throw cachedCounter(SEQUENCE, cache);
    return BigInt(next) - 1n;
  }

  protected async readPulse(tables: string[], perTable: string[]): Promise<unknown[]> {
    const names = tables.flatMap((t) => [t, deleteLogName(t), sideTableName(t)]);
    const { sql, values } = pulseQuery(SEQUENCE, MARKERS, names, perTable);
    const [row] = await this.rows<unknown[]>(sql, values);
    return row;
  }

  protected async maxVersion(table: string): Promise<bigint> {
    const [[v]] = await this.rows<[string | null]>(`SELECT MAX(${this.vcq}) FROM ${this.versionsOf(table)}`);
    return v === null ? 0n : BigInt(v);
  }

  async count(table: SourceTable): Promise<number> {
    const [[n]] = await this.rows<[string]>(`SELECT COUNT(*) FROM ${q(table.name)}`);
    return Number(n);
  }

  protected selectAfter(table: SourceTable, after: bigint, upTo: bigint, limit: number): Promise<MariadbValue[][]> {
    return this.select(table, `WHERE ${this.vcq} > ? AND ${this.vcq} <= ? ORDER BY ${this.vcq} LIMIT ?`, [
      after,
      upTo,
      limit,
    ]);
  }

  protected selectVersions(table: SourceTable, versions: bigint[]): Promise<MariadbValue[][]> {
    return this.select(table, `WHERE ${this.vcq} IN (?) ORDER BY ${this.vcq}`, [versions.map(String)]);
  }

  async versionAt(table: SourceTable, after: bigint, n: number): Promise<bigint | undefined> {
    const rows = await this.rows<[string]>(
      `SELECT ${this.vcq} FROM ${this.versionsOf(table.name)} WHERE ${this.vcq} > ? ORDER BY ${this.vcq} LIMIT 1 OFFSET ?`,
      [after, n - 1],
    );
    return rows.length ? BigInt(rows[0][0]) : undefined;
  }

  protected keysAndVersions(table: SourceTable, ranges: readonly VersionRange[]): Promise<MariadbValue[][]> {
    const where = ranges.map(() => `(${this.vcq} > ? AND ${this.vcq} <= ?)`).join(' OR ');
    return this.rows(
      `SELECT ${this.keyColumns(table)} FROM ${this.versionsOf(table.name)} WHERE ${where} ORDER BY ${this.vcq}`,
      ranges.flatMap((r) => [r.after, r.upTo]),
    );
  }

  /**
   * Count and digest of each range computed where the data is (docs/difference-check.md): the same formula as the
   * agent's and the worker's (range-digest.ts) in the server's SQL, over the version index; the ranges travel as one
   * JSON document. The sum of 60-bit hashes is a DECIMAL there, so it is exact.
   */
  override async digests(table: SourceTable, ranges: readonly VersionRange[]): Promise<RangeDigest[]> {
    if (ranges.length === 0) return [];
    const types = keyTypes(table);
    const parts = table.key.map((k, i) => canonicalPartSql(types[i], `t.${q(k)}`));
    const input = `CONCAT(${parts.map((p) => `OCTET_LENGTH(${p}), ':', ${p}`).join(', ')}, '|', t.${this.vcq})`;
    const present = table.key.map((k) => `t.${q(k)} IS NOT NULL`).join(' AND ');
    const rows = await this.rows<[string, string]>(
      `SELECT COUNT(t.${this.vcq}), COALESCE(SUM(CAST(CONV(SUBSTRING(MD5(${input}), 1, 15), 16, 10) AS UNSIGNED)), 0)
         FROM JSON_TABLE(?, '$[*]' COLUMNS (i FOR ORDINALITY, a BIGINT PATH '$[0]', b BIGINT PATH '$[1]')) AS r
         LEFT JOIN ${this.versionsOf(table.name)} t ON t.${this.vcq} > r.a AND t.${this.vcq} <= r.b AND ${present}
        GROUP BY r.i ORDER BY r.i`,
      [JSON.stringify(ranges.map((r) => [r.after.toString(), r.upTo.toString()]))],
    );
    return rows.map(([n, sum]) => ({ count: Number(n), sum: BigInt(String(sum).replace(/\.0*$/, '')) }));
  }

  async versionOfKey(table: SourceTable, key: string): Promise<bigint | undefined> {
    const types = keyTypes(table);
    const values = decodeKey(types, key).map((v, i) => wireToMariadb(types[i], v));
    // Byte for byte, whatever the column's collation (the default ignores case and accents, and pads spaces),
    // docs/difference-check.md: the collation's own match first (it can use the index), then the UTF-8 bytes. A
    // boolean is a TINYINT(1), which may hold any number: matched by its canonical form, as the key was made.
    const where = table.key
      .map((k, i) =>
        types[i] === 'text' || types[i] === 'char'
          ? `${q(k)} = ? AND CAST(CONVERT(${q(k)} USING utf8mb4) AS BINARY) = CAST(CONVERT(? USING utf8mb4) AS BINARY)`
          : types[i] === 'boolean'
            ? `${canonicalPartSql('boolean', q(k))} = ?`
            : `${q(k)} = ?`,
      )
      .join(' AND ');
    const params = values.flatMap((v, i) =>
      types[i] === 'text' || types[i] === 'char' ? [v, v] : types[i] === 'boolean' ? [v === 1 ? 'true' : 'false'] : [v],
    );
    const rows = await this.rows<[string]>(
      `SELECT ${this.vcq} FROM ${this.versionsOf(table.name)} WHERE ${where}`,
      params,
    );
    return rows.length ? BigInt(rows[0][0]) : undefined;
  }

  protected tableSql(table: string): string {
    return q(table);
  }

  protected trackingTable(name: string): string {
    return q(name);
  }

  protected async trackingTableExists(name: string): Promise<boolean> {
    const found = await this.rows(
      `SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`,
      [name],
    );
    return found.length > 0;
  }

  protected queryRows(sql: string, params: unknown[]): Promise<MariadbValue[][]> {
    return this.rows(sql, params);
  }

  protected async readNewestMarker(): Promise<Marker | undefined> {
    const rows = await this.rows<[string, string]>(`SELECT id, watermark FROM ${MARKERS} ORDER BY seq DESC LIMIT 1`);
    return rows.length ? { id: rows[0][0], watermark: BigInt(rows[0][1]) } : undefined;
  }

  protected async transaction(): Promise<ServerTransaction> {
    const c = await this.pool.getConnection();
    return {
      begin: () => c.beginTransaction(),
      query: async (sql, params) => (await c.query({ sql, values: params, rowsAsArray: true }))[0] as unknown[][],
      commit: () => c.commit(),
      rollback: () => c.rollback(),
      release: () => c.release(),
    };
  }

  protected endPool(): Promise<void> {
    return this.pool.end();
  }

  private select(table: SourceTable, tail: string, params: unknown[]): Promise<MariadbValue[][]> {
    return this.rows(`SELECT ${this.rowColumns(table)} FROM ${this.rowsOf(table)} ${tail}`, params);
  }
}

/**
 * A key column's canonical text in SQL, in UTF-8: what canonicalKeyPart gives for the value this source sends (binary
 * as base64 without MariaDB's line breaks, dates as YYYY-MM-DD, TINYINT(1) true only for 1).
 */
function canonicalPartSql(type: ColumnType, expr: string): string {
  switch (type) {
    case 'bytea':
      return `REPLACE(TO_BASE64(${expr}), '\\n', '')`;
    case 'boolean':
      return `IF(${expr} = 1, 'true', 'false')`;
    case 'date':
      return `DATE_FORMAT(${expr}, '%Y-%m-%d')`;
    case 'uuid':
      return `LOWER(CAST(${expr} AS CHAR))`;
    default:
      return `CONVERT(${expr} USING utf8mb4)`;
  }
}

/** In a row trigger: the row's key changed, compared as binary, whatever its collation. */
function keyChanged(keys: string[]): string {
  return `NOT (${keys.map((k) => `CAST(OLD.${k} AS BINARY) <=> CAST(NEW.${k} AS BINARY)`).join(' AND ')})`;
}
