import type pg from 'pg';
import {
  castType,
  contentTextSql,
  decodeKey,
  digestAggregatesSql,
  keyHashInputSql,
  PG_TYPES,
  quoteIdent as q,
  rowHashSql,
  type ColumnDef,
  type ColumnType,
  type DigestHash,
  type VersionRange,
} from '#contracts';
import { emptyDigest, type Marker, type RangeDigest } from '#sync';
import { driver } from '../driver.js';
import { cachedCounter, ServerSource, type MarkerStatements, type ServerTransaction } from '../server-source.js';
import { DigestHashChanged, keyTypes, type SourceTable } from '../source.js';
import { deleteLogName, sideTableName, type TableShape, type TableTracking } from '../tracked-source.js';
import { pulseQuery } from './postgres.pulse.js';
import { NEXT_VERSION, PostgresTracking, quietly, TRACKING_SCHEMA, trackingTable } from './postgres.tracking.js';
import { postgresColumn, postgresToWire, type PgValue, type TypeKind } from './postgres.types.js';

const MARKER_STATEMENTS: MarkerStatements = {
  // Under the table lock nothing can come between the compare and the write.
  lockNewest: [
    `LOCK TABLE ${TRACKING_SCHEMA}.markers IN EXCLUSIVE MODE`,
    `SELECT id FROM ${TRACKING_SCHEMA}.markers ORDER BY seq DESC LIMIT 1`,
  ],
  insert: `INSERT INTO ${TRACKING_SCHEMA}.markers (id, watermark) VALUES ($1, $2)`,
  trim: `DELETE FROM ${TRACKING_SCHEMA}.markers WHERE seq <= (SELECT max(seq) FROM ${TRACKING_SCHEMA}.markers) - $1`,
};

/** Every value as its text form (no JavaScript Date, no rounding), except bytea (bytes) and booleans. */
const rawTypes = (driven: typeof pg) =>
  ({
    getTypeParser: (oid: number, format?: 'text' | 'binary') => {
      if (oid === 17) return driven.types.getTypeParser(17, format);
      if (oid === 16) return (v: string) => v === 't';
      return (v: string) => v;
    },
  }) as pg.CustomTypesConfig;

/**
 * A PostgreSQL source. Tracking is a sequence and a BEFORE INSERT OR UPDATE trigger per table stamping the version
 * column. Because sequence values are handed out before their transactions commit, the ahead path reads only up to
 * the safe watermark, proven from the transactions running when the counter was read (see safeWatermark).
 */
export class PostgresSource extends ServerSource<PgValue> {
  private readonly pool: pg.Pool;
  private readonly tracking: PostgresTracking;
  /** Tables whose content a cast refused to hash in SQL (contentDigests). */
  private readonly contentByMd5 = new Set<string>();
  protected readonly markerSql = MARKER_STATEMENTS;
  protected readonly missingCodes = ['42P01', '42703']; // undefined table, undefined column
  protected readonly param = (n: number) => `$${n}`;

  constructor(
    url: string,
    private readonly schema = 'public',
    existingVersionColumn?: string,
  ) {
    super(q, postgresToWire, `schema "${schema}" of the PostgreSQL database`, existingVersionColumn);
    this.tracking = new PostgresTracking(this.vc, (name) => this.tableSql(name));
    const driven = driver<typeof pg>('pg');
    this.pool = new driven.Pool({
      connectionString: url,
      max: 2,
      types: rawTypes(driven),
      options:
        '-c DateStyle=ISO,YMD -c TimeZone=UTC -c extra_float_digits=1 -c IntervalStyle=postgres -c bytea_output=hex',
    });
    // A connection dies with a server restart, idle or checked out: the next query fails or reconnects; the process
    // must not end.
    this.pool.on('error', () => undefined);
    this.pool.on('connect', (client) => client.on('error', () => undefined));
  }

  protected tableSql(name: string): string {
    return `${q(this.schema)}.${q(name)}`;
  }

  protected async readShape(table: string): Promise<TableShape | undefined> {
    // A domain is its base type (Sakila's `year`, a domain over integer, is an integer), whose values it prints; a
    // domain over a domain, the innermost one's.
    const { rows } = await this.pool.query<{
      name: string;
      type: string;
      kind: TypeKind;
      element: TypeKind | null;
      builtin: boolean;
    }>(
      `SELECT a.attname AS name, b.typtype AS kind, e.typtype AS element,
              format_type(b.oid, base.typmod) AS type,
              b.typnamespace = 'pg_catalog'::regnamespace
                AND (e.oid IS NULL OR e.typnamespace = 'pg_catalog'::regnamespace) AS builtin
         FROM pg_attribute a
         CROSS JOIN LATERAL (
           WITH RECURSIVE chain(oid, typmod, depth) AS (
             SELECT a.atttypid, a.atttypmod, 0
             UNION ALL
             SELECT d.typbasetype, d.typtypmod, chain.depth + 1
               FROM chain JOIN pg_type d ON d.oid = chain.oid AND d.typtype = 'd')
           SELECT oid, typmod FROM chain ORDER BY depth DESC LIMIT 1) base
         JOIN pg_type b ON b.oid = base.oid
         LEFT JOIN pg_type e ON b.typcategory = 'A' AND e.oid = b.typelem
        WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [this.tableSql(table)],
    );
    if (rows.length === 0) return undefined;
    const pk = await this.pool.query<{ name: string }>(
      `SELECT a.attname AS name FROM pg_index i
         JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, pos) ON true
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
        WHERE i.indrelid = to_regclass($1) AND i.indisprimary ORDER BY k.pos`,
      [this.tableSql(table)],
    );
    return {
      columns: rows.map((r) => postgresColumn(r.name, r.type, r.kind, r.element ?? undefined, r.builtin)),
      primaryKey: pk.rows.map((r) => r.name),
    };
  }

  protected async installMarkers(): Promise<void> {
    await this.pool.query(`CREATE SCHEMA IF NOT EXISTS ${TRACKING_SCHEMA}`);
    await this.pool.query(
      `CREATE TABLE IF NOT EXISTS ${TRACKING_SCHEMA}.markers (seq bigserial PRIMARY KEY, id text NOT NULL UNIQUE, watermark bigint NOT NULL, written_at timestamptz NOT NULL DEFAULT now())`,
    );
  }

  protected async installVersioning(tables: TableTracking[]): Promise<string[]> {
    const c = await this.pool.connect();
    let installed: { done: string[]; numbered: string[] };
    try {
      await c.query('BEGIN');
      installed = await this.tracking.install(c, tables);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK');
      throw err;
    } finally {
      c.release();
    }
    // Every row has just been given a version: without statistics on them the planner read each batch of the first
    // load (ORDER BY version LIMIT n) by sorting every later row, 11 s for a million rows; with them, an index scan.
    for (const relation of installed.numbered) await this.pool.query(`ANALYZE ${relation}`);
    return installed.done;
  }

  protected override trackNewParts(table: SourceTable): Promise<string[]> {
    return this.tracking.trackChildren(this.pool, table, this.isSided(table.name));
  }

  /**
   * Quietly where the role may (see quietly), and for a side table only keys still there when it is written: a row
   * being deleted meanwhile waits, or is not stamped.
   */
  protected async stampRows(table: SourceTable, sided: boolean): Promise<number> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const keys = table.key.map(q).join(', ');
      const sql = sided
        ? `INSERT INTO ${this.trackingTable(sideTableName(table.name))} (${keys}, ${this.vcq})
             SELECT ${table.key.map((k) => `t.${q(k)}`).join(', ')}, ${NEXT_VERSION} FROM ${this.unversionedRows(table, true)}
             FOR KEY SHARE OF t ON CONFLICT DO NOTHING`
        : `UPDATE ${this.tableSql(table.name)} SET ${this.vcq} = ${NEXT_VERSION} WHERE ${this.vcq} IS NULL`;
      let n = 0;
      await quietly(c, async () => {
        n = (await c.query(sql)).rowCount ?? 0;
      });
      await c.query('COMMIT');
      return n;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  /**
   * Sequence values are handed out before commit, so a lower version can become visible after higher ones. A writer
   * takes its transaction id before its version (next_version), so every writer that could hold a version up to a
   * reading of the counter already had its id when the running transactions were read just after: each call records
   * (counter, those ids), and once none of them runs any more the counter is safe (at once when none ran). The ids
   * come from the lock each transaction holds on its own id: a snapshot leaves out a transaction whose id is at or
   * past its xmax (one past the newest completed), so a lone writer holding the newest id would pass for finished.
   */
  async safeWatermark(): Promise<bigint> {
    // The application's own versions carry no proof of commit order: the highest visible version is all there is,
    // and a row committed late below it is found by the difference check (docs/sources.md).
    if (this.existingVersionColumn) return this.versionCounter();
    const counter = await this.versionCounter();
    const { rows } = await this.pool.query<{ ids: string | null }>(
      `SELECT string_agg(transactionid::text, ',') AS ids FROM pg_locks
        WHERE locktype = 'transactionid' AND mode = 'ExclusiveLock' AND granted
          AND pid IS DISTINCT FROM pg_backend_pid()`,
    );
    return this.advanceWatermark(counter, rows[0].ids?.split(',') ?? []);
  }

  protected async trackedCounter(): Promise<bigint> {
    const { rows } = await this.pool.query<{ v: string; called: boolean; cache: string }>(
      `SELECT last_value AS v, is_called AS called,
              (SELECT seqcache FROM pg_sequence WHERE seqrelid = '${TRACKING_SCHEMA}.version_seq'::regclass) AS cache
         FROM ${TRACKING_SCHEMA}.version_seq`,
    );
    if (BigInt(rows[0].cache) > 1n) throw cachedCounter(`${TRACKING_SCHEMA}.version_seq`, rows[0].cache);
    return rows[0].called ? BigInt(rows[0].v) : BigInt(rows[0].v) - 1n;
  }

  protected async readPulse(tables: string[], perTable: string[]): Promise<unknown[]> {
    const tracking = tables.flatMap((t) => [
      this.trackingTable(deleteLogName(t)),
      this.trackingTable(sideTableName(t)),
    ]);
    const query = pulseQuery(
      tables.map((t) => this.tableSql(t)),
      tracking,
      perTable,
    );
    return (await this.pool.query({ ...query, rowMode: 'array' })).rows[0];
  }

  protected async maxVersion(table: string): Promise<bigint> {
    const { rows } = await this.pool.query<{ v: string | null }>(
      `SELECT max(${this.vcq}) AS v FROM ${this.versionsOf(table)}`,
    );
    return rows[0].v === null ? 0n : BigInt(rows[0].v);
  }

  async count(table: SourceTable): Promise<number> {
    return Number(
      (await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.tableSql(table.name)}`)).rows[0].n,
    );
  }

  protected selectAfter(table: SourceTable, after: bigint, upTo: bigint, limit: number): Promise<PgValue[][]> {
    return this.select(table, `WHERE ${this.vcq} > $1 AND ${this.vcq} <= $2 ORDER BY ${this.vcq} LIMIT $3`, [
      after,
      upTo,
      limit,
    ]);
  }

  protected selectVersions(table: SourceTable, versions: bigint[]): Promise<PgValue[][]> {
    return this.select(table, `WHERE ${this.vcq} = ANY($1::bigint[]) ORDER BY ${this.vcq}`, [versions.map(String)]);
  }

  async versionAt(table: SourceTable, after: bigint, n: number): Promise<bigint | undefined> {
    const { rows } = await this.pool.query<{ v: string }>(
      `SELECT ${this.vcq} AS v FROM ${this.versionsOf(table.name)} WHERE ${this.vcq} > $1 ORDER BY ${this.vcq} LIMIT 1 OFFSET $2`,
      [after, n - 1],
    );
    return rows.length ? BigInt(rows[0].v) : undefined;
  }

  protected async keysAndVersions(table: SourceTable, ranges: readonly VersionRange[]): Promise<PgValue[][]> {
    const { rows } = await this.pool.query({
      text: `SELECT ${this.keyColumns(table)} FROM ${this.versionsOf(table.name)} t
              WHERE EXISTS (SELECT 1 FROM unnest($1::bigint[], $2::bigint[]) AS r(a, b) WHERE t.${this.vcq} > r.a AND t.${this.vcq} <= r.b)
              ORDER BY ${this.vcq}`,
      values: [ranges.map((r) => r.after.toString()), ranges.map((r) => r.upTo.toString())],
      rowMode: 'array',
    });
    return rows as PgValue[][];
  }

  override digestHash(table: SourceTable, content: boolean): DigestHash {
    return content && this.contentByMd5.has(table.name) ? 'md5' : 'hashtext';
  }

  /**
   * Count and digest of each range computed where the data is (docs/difference-check.md): by hashtext, as the worker
   * computes it (digest-sql.ts), over the versions, so only digests leave the database.
   */
  override async digests(table: SourceTable, ranges: readonly VersionRange[]): Promise<RangeDigest[]> {
    const version = `t.${this.vcq}`;
    const input = keyHashInputSql(this.keyParts(table), version);
    return this.digestsIn(`${this.versionsOf(table.name)} t`, version, rowHashSql('hashtext', input), table, ranges);
  }

  /**
   * Content digests in SQL too: each value as it travels (its text, read as the remote column's type) printed as the
   * worker prints it. A value that cast refuses (a json document jsonb cannot hold, which the worker quarantines)
   * makes the table's content hashed by md5 in JavaScript from then on.
   */
  override async contentDigests(table: SourceTable, ranges: readonly VersionRange[]): Promise<RangeDigest[]> {
    if (this.digestHash(table, true) === 'md5') return super.contentDigests(table, ranges);
    const input = keyHashInputSql(this.keyParts(table), this.vcq);
    const cells = table.columns.map((c) => {
      const value = this.columnSql(table.name, c.name);
      return { value, text: contentTextSql(c.type, asStored(c, value)) };
    });
    try {
      return await this.digestsIn(this.rowsOf(table), this.vcq, rowHashSql('hashtext', input, cells), table, ranges);
    } catch (err) {
      if (!String((err as { code?: unknown }).code).startsWith('22')) throw err;
      this.contentByMd5.add(table.name);
      throw new DigestHashChanged(table.name, (err as Error).message);
    }
  }

  /** The canonical text of each key column of `t`, as the worker's canonicalKeySql prints it. */
  private keyParts(table: SourceTable): string[] {
    const types = keyTypes(table);
    return table.key.map((k, i) => canonicalPartSql(types[i], `t.${q(k)}`));
  }

  /**
   * Count and digest of each range over `from` (which names the table `t`). One range (a whole slice) as a plain
   * condition, so the planner may read a large part of the table sequentially; joined to a list of ranges it walks
   * the index instead (twice as slow over a million rows).
   */
  private async digestsIn(
    from: string,
    version: string,
    rowHash: string,
    table: SourceTable,
    ranges: readonly VersionRange[],
  ): Promise<RangeDigest[]> {
    if (ranges.length === 0) return [];
    const present = table.key.map((k) => `t.${q(k)} IS NOT NULL`).join(' AND ');
    const aggregates = digestAggregatesSql(rowHash, version);
    const { rows } = await this.pool.query<{ i: string; n: string; s: string }>(
      ranges.length === 1
        ? `SELECT 1 AS i, ${aggregates} FROM ${from} WHERE ${version} > $1 AND ${version} <= $2 AND ${present}`
        : `SELECT r.i, ${aggregates} FROM ${from}
             JOIN unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS r(a, b, i) ON ${version} > r.a AND ${version} <= r.b
            WHERE ${present} GROUP BY r.i`,
      ranges.length === 1
        ? [ranges[0].after.toString(), ranges[0].upTo.toString()]
        : [ranges.map((r) => r.after.toString()), ranges.map((r) => r.upTo.toString())],
    );
    const out = ranges.map(() => emptyDigest());
    for (const r of rows) out[Number(r.i) - 1] = { count: Number(r.n), sum: BigInt(r.s) };
    return out;
  }

  async versionOfKey(table: SourceTable, key: string): Promise<bigint | undefined> {
    const types = keyTypes(table);
    const values: unknown[] = decodeKey(types, key).map((v, i) =>
      types[i] === 'bytea' ? Buffer.from(String(v), 'base64') : v,
    );
    // Byte for byte, whatever the column's collation (a nondeterministic one may ignore case), and as the key's
    // canonical text (a char(n) without its padding), docs/difference-check.md: the column's own match first (it
    // can use the index), then its text against the value bound again as text (one parameter takes one type).
    const where = table.key
      .map((k, i) => {
        if (types[i] !== 'text' && types[i] !== 'char') return `${q(k)} = $${i + 1}`;
        values.push(values[i]);
        return `${q(k)} = $${i + 1} AND ${canonicalPartSql(types[i], q(k))} COLLATE "C" = $${values.length}::text COLLATE "C"`;
      })
      .join(' AND ');
    const { rows } = await this.pool.query<{ v: string }>(
      `SELECT ${this.vcq} AS v FROM ${this.versionsOf(table.name)} WHERE ${where}`,
      values,
    );
    return rows.length ? BigInt(rows[0].v) : undefined;
  }

  protected trackingTable(name: string): string {
    return trackingTable(name);
  }

  protected async trackingTableExists(name: string): Promise<boolean> {
    return (await this.pool.query(`SELECT to_regclass($1) AS r`, [this.trackingTable(name)])).rows[0].r !== null;
  }

  protected async queryRows(sql: string, params: unknown[]): Promise<PgValue[][]> {
    const { rows } = await this.pool.query({ text: sql, values: params, rowMode: 'array' });
    return rows as PgValue[][];
  }

  protected async readNewestMarker(): Promise<Marker | undefined> {
    const { rows } = await this.pool.query<{ id: string; watermark: string }>(
      `SELECT id, watermark FROM ${TRACKING_SCHEMA}.markers ORDER BY seq DESC LIMIT 1`,
    );
    return rows.length ? { id: rows[0].id, watermark: BigInt(rows[0].watermark) } : undefined;
  }

  protected async transaction(): Promise<ServerTransaction> {
    const c = await this.pool.connect();
    return {
      begin: async () => void (await c.query('BEGIN')),
      query: async (sql, params) => (await c.query({ text: sql, values: params, rowMode: 'array' })).rows,
      commit: async () => void (await c.query('COMMIT')),
      rollback: async () => void (await c.query('ROLLBACK')),
      release: () => c.release(),
    };
  }

  protected endPool(): Promise<void> {
    return this.pool.end();
  }

  private async select(table: SourceTable, tail: string, params: unknown[]): Promise<PgValue[][]> {
    const { rows } = await this.pool.query({
      text: `SELECT ${this.rowColumns(table)} FROM ${this.rowsOf(table)} ${tail}`,
      values: params.map((p) => (typeof p === 'bigint' ? p.toString() : p)),
      rowMode: 'array',
    });
    return rows as PgValue[][];
  }
}

/**
 * A key column's canonical text in SQL: what canonicalKeyPart gives for the value this source sends (its text as
 * PostgreSQL prints it; a char(n) without its padding; bytea as base64; dates as YYYY-MM-DD).
 */
function canonicalPartSql(type: ColumnType, expr: string): string {
  switch (type) {
    case 'bytea':
      return `translate(encode(${expr}, 'base64'), E'\\n', '')`;
    case 'boolean':
      return `CASE WHEN ${expr} THEN 'true' ELSE 'false' END`;
    case 'date':
      return `to_char(${expr}, 'YYYY-MM-DD')`;
    case 'char':
      return `${expr}::text`; // without its padding
    default:
      return `concat(${expr})`;
  }
}

/**
 * A column's value as the worker stores it: what travels is its text, read as the remote
 * column's type. Where reading the value's own type as that type gives the same, it is cast directly; a real travels
 * as its shortest text, which a double reads differently from the real itself.
 */
function asStored(c: ColumnDef, expr: string): string {
  if (c.type === 'bytea' || c.type === 'boolean') return expr;
  if (c.type === 'text') return `concat(${expr})`;
  if (c.type === 'double') return `concat(${expr})::${PG_TYPES.double}`;
  return `${expr}::${castType(c)}`;
}
