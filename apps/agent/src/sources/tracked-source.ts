import type { ColumnarRows, ColumnDef, DeletedKeys, DigestHash, VersionRange } from '#contracts';
import type { Marker, RangeDigest } from '#sync';
import {
  columnarOf,
  contentDigestsOf,
  contentManifestOf,
  contentOf,
  deletedKeysOf,
  digestsOf,
  manifestOf,
  type RowContent,
  type ToWire,
} from './source-rows.js';
import { keyedTable, keyTypes, type Pulse, type Source, type SourceTable, type TableToTrack } from './source.js';

/** The version column `track` installs, unless the config names one the application already keeps. */
export const VERSION_COLUMN = '_rowferry_version';

/**
 * The delete log `track` installs beside a table (docs/sync-model.md, Deletes): the key of each row deleted (or whose
 * key changed) with the version its delete was given. The version is indexed but not unique: a restore that brings
 * back the tables without their logs must never make the application's deletes fail.
 */
export function deleteLogName(table: string): string {
  return `_rowferry_${table}_deletes`;
}

/**
 * The side table `track --side-table` installs beside a table, which leaves the table itself untouched: the key of
 * each row with its version, kept by triggers (docs/sources.md, Side tables).
 */
export function sideTableName(table: string): string {
  return `_rowferry_${table}_rows`;
}

/** A table as `track` installs it: with a version column, or with a side table. */
export type TableTracking = SourceTable & { sideTable: boolean };

/** Rows a content check reads from the database at a time. */
const CONTENT_PAGE_ROWS = 5000;

/** Restore markers kept in the local database: the agent only ever needs recent ones, so the table stays small. */
export const MARKERS_KEPT = 1000;

/** A column as `describe` reads it, in rowferry's types. */
export interface ShapeColumn {
  column: ColumnDef;
  /** How its value is read, where not as it is: `expr` is the column as SQL. */
  read?: (expr: string) => string;
  /**
   * The engine's type, when no remote type keeps its meaning (a composite, an extension's type): the column travels
   * as its text only when the table's config lists it in `asText`, else the table is refused.
   */
  textOnly?: string;
}

/** What `describe` reads of a table: every column (the version column too), and the primary key. */
export interface TableShape {
  columns: ShapeColumn[];
  primaryKey: string[];
}

/**
 * What every engine's source does the same way, whatever its SQL: the version column (installed, or the
 * application's own), describing a table and finding its key, the rows and keys it reads turned into wire values,
 * manifests and digests, and the clear error when tracking is missing. An engine says how it reads and writes; `V` is
 * a value as its driver returns it.
 */
export abstract class TrackedSource<V> implements Source {
  /** How the engine writes the nth statement parameter. */
  protected readonly param: (n: number) => string = () => '?';
  /** The version column, and as it is written in SQL. */
  protected readonly vc: string;
  protected readonly vcq: string;
  /** Tables described so far: with the application's own version column, the counter is their highest version. */
  private readonly described = new Set<string>();
  /** Described tables that have a delete log (tables tracked by an older `track` get it on the next one). */
  private readonly logged = new Set<string>();
  /** Described tables tracked with a side table instead of a version column. */
  private readonly sided = new Set<string>();
  /** Per described table, its columns read otherwise than as they are (ShapeColumn.read). */
  private readonly reads = new Map<string, Map<string, (expr: string) => string>>();

  /**
   * @param where where tables live, for errors ("the SQLite database")
   * @param existingVersionColumn a version column the application already keeps; `track` then installs only markers
   */
  constructor(
    protected readonly quote: (name: string) => string,
    private readonly toWire: ToWire<V>,
    private readonly where: string,
    protected readonly existingVersionColumn?: string,
  ) {
    this.vc = existingVersionColumn ?? VERSION_COLUMN;
    this.vcq = quote(this.vc);
  }

  // ---- What each engine says in its own SQL ----------------------------------------------------------------------

  /** The table's columns and primary key; undefined when there is no such table. */
  protected abstract readShape(table: string): Promise<TableShape | undefined>;
  /** Creates the markers table (and whatever else the engine needs to hold them). */
  protected abstract installMarkers(): Promise<void>;
  /**
   * Counter, and for each table its version column (or side table), triggers, index and delete log; says what it
   * did.
   */
  protected abstract installVersioning(tables: TableTracking[]): Promise<string[]>;
  /**
   * One statement, one row: the version counter first, then the newest marker's id, the schema of the tables and of
   * their tracking tables (children too), then the value of each of `perTable` (scalar subqueries).
   */
  protected abstract readPulse(tables: string[], perTable: string[]): Promise<unknown[]>;
  /** The counter `track` installed: the highest version handed out. */
  protected abstract trackedCounter(): Promise<bigint>;
  /** The table's highest version, 0 when it has none. */
  protected abstract maxVersion(table: string): Promise<bigint>;
  /** Rows (every column, then the version) with a version in (after, upTo], in version order, at most `limit`. */
  protected abstract selectAfter(table: SourceTable, after: bigint, upTo: bigint, limit: number): Promise<V[][]>;
  /** Rows (every column, then the version) with these versions, in version order. */
  protected abstract selectVersions(table: SourceTable, versions: bigint[]): Promise<V[][]>;
  /** The key columns then the version of the rows in the ranges (sorted, not overlapping), in version order. */
  protected abstract keysAndVersions(table: SourceTable, ranges: readonly VersionRange[]): Promise<Iterable<V[]>>;
  protected abstract readNewestMarker(): Promise<Marker | undefined>;
  /** An application's table as written in SQL. */
  protected abstract tableSql(table: string): string;
  /** One of rowferry's tracking tables (delete log, side table) as written in SQL. */
  protected abstract trackingTable(name: string): string;
  /** Whether that tracking table exists. */
  protected abstract trackingTableExists(name: string): Promise<boolean>;
  /** Runs a statement on the database; rows as arrays (none for a DELETE or UPDATE). */
  protected abstract queryRows(sql: string, params: unknown[]): Promise<V[][]>;
  /** Whether an error says the tracking `track` installs is not there (no such table or column). */
  protected abstract isTrackingMissing(err: unknown): boolean;
  /**
   * Gives every row of the table still without a version one from the counter (with a version column), or a side row
   * (with a side table); says how many. Only called when there is such a row.
   */
  protected abstract stampRows(table: SourceTable, sided: boolean): Promise<number>;

  /**
   * Parts of the table that tracking does not cover yet and that a pass can cover by itself (PostgreSQL's inheritance
   * children, docs/sources.md): installs tracking on them and says what it did. None on engines without such parts.
   */
  protected async trackNewParts(_table: SourceTable): Promise<string[]> {
    return [];
  }

  abstract safeWatermark(): Promise<bigint>;
  abstract count(table: SourceTable): Promise<number>;
  abstract versionAt(table: SourceTable, after: bigint, n: number): Promise<bigint | undefined>;
  abstract versionOfKey(table: SourceTable, key: string): Promise<bigint | undefined>;
  abstract writeMarker(marker: Marker, expected: string | undefined): Promise<boolean>;
  abstract resetAfterRestore(): Promise<void>;
  abstract close(): Promise<void>;

  // ---- The same for every engine ---------------------------------------------------------------------------------

  async describe({ name: table, key, asText = [] }: TableToTrack): Promise<SourceTable> {
    const shape = await this.readShape(table);
    if (!shape) throw new Error(`table "${table}" does not exist in ${this.where}`);
    const unstorable = shape.columns.find((c) => c.textOnly && !asText.includes(c.column.name));
    if (unstorable)
      throw new Error(
        `column "${unstorable.column.name}" of table "${table}" has type ${unstorable.textOnly}, which the cloud cannot store with its meaning (it would answer another WHERE): list it in the table's asText in the config to sync its text form, or leave the table out (docs/sources.md, Types and their meaning)`,
      );
    const reads = new Map(shape.columns.flatMap((c) => (c.read ? [[c.column.name, c.read] as const] : [])));
    if (reads.size) this.reads.set(table, reads);
    else this.reads.delete(table);
    const columns = shape.columns.map((c) => c.column);
    if (this.existingVersionColumn && !columns.some((c) => c.name === this.vc))
      throw new Error(`table "${table}" has no version column "${this.vc}" (source.versionColumn in the config)`);
    this.described.add(table);
    const tracked = !this.existingVersionColumn;
    if (tracked && (await this.hasDeleteLog(table))) this.logged.add(table);
    else this.logged.delete(table);
    const hasColumn = columns.some((c) => c.name === this.vc);
    if (tracked && !hasColumn && (await this.trackingTableExists(sideTableName(table)))) this.sided.add(table);
    else this.sided.delete(table);
    return keyedTable(
      table,
      columns.filter((c) => c.name !== this.vc),
      shape.primaryKey,
      key,
    );
  }

  async installTracking(tables: readonly TableToTrack[]): Promise<string[]> {
    await this.installMarkers();
    if (this.existingVersionColumn)
      return [
        `versions come from the existing column "${this.vc}": only the restore markers table is installed (deletes are found by the difference check)`,
      ];
    const described: TableTracking[] = [];
    for (const t of tables) {
      const table = await this.describe(t);
      // A table tracked with a side table stays so: adding the column now would break what the side table spares.
      described.push({ ...table, sideTable: t.sideTable === true || this.sided.has(t.name) });
    }
    return this.installVersioning(described);
  }

  /**
   * Rows written where no trigger fired (docs/sources.md, Writes that escape the triggers) get their version now, so
   * they travel like any change. A version column is indexed, so finding none costs one index probe each pass; finding
   * keys without a side row reads the whole table, so a side table is looked at when a round of the difference check
   * starts (`roundStart`). The application's own version column is its to fill: counted by `unversioned`, never
   * written.
   */
  async stampUnversioned(table: SourceTable, roundStart: boolean): Promise<{ stamped: number; notes: string[] }> {
    if (this.existingVersionColumn) return { stamped: 0, notes: [] };
    const notes = await this.trackNewParts(table);
    const sided = this.sided.has(table.name);
    if (sided && !roundStart) return { stamped: 0, notes };
    const [found] = await this.queryRows(`SELECT 1 FROM ${this.unversionedRows(table)} LIMIT 1`, []);
    if (!found) return { stamped: 0, notes };
    try {
      const stamped = await this.stampRows(table, sided);
      if (stamped) notes.push(`${stamped} row(s) written where no trigger fired were given a version`);
      return { stamped, notes };
    } catch (err) {
      // The table's versioned rows go on syncing; status counts the others until they can be stamped.
      notes.push(
        `rows written where no trigger fired could not be given a version (the agent needs UPDATE on the table; tracking from an earlier release needs "rowferry-agent track" again): ${(err as Error).message}`,
      );
      return { stamped: 0, notes };
    }
  }

  async pulse(tables: readonly SourceTable[]): Promise<Pulse | undefined> {
    if (this.existingVersionColumn) return undefined;
    // Per table what a pass decides by: its local maximum (rows and logged deletes: a TRUNCATE or a delete no trigger
    // saw lowers it without moving the counter), and with a version column whether a row lacks one (a side table's
    // are looked for where a round starts, stampUnversioned).
    const perTable = tables.flatMap((t) => [
      `(SELECT max(${this.vcq}) FROM ${this.versionsOf(t.name)})`,
      ...(this.logged.has(t.name) ? [`(SELECT max(${this.vcq}) FROM ${this.logTable(t.name)})`] : []),
      ...(this.sided.has(t.name) ? [] : [`EXISTS (SELECT 1 FROM ${this.tableSql(t.name)} WHERE ${this.vcq} IS NULL)`]),
    ]);
    try {
      const [counter, ...rest] = await this.readPulse(
        tables.map((t) => t.name),
        perTable,
      );
      const digest = JSON.stringify([counter, ...rest], (_, v) => (typeof v === 'bigint' ? v.toString() : v));
      return { counter: BigInt(counter as bigint), digest };
    } catch {
      return undefined; // the full pass says what is wrong
    }
  }

  async unversioned(table: SourceTable): Promise<number> {
    const [[n]] = await this.queryRows(`SELECT count(*) FROM ${this.unversionedRows(table)}`, []);
    return Number(n);
  }

  /**
   * The rows without a version, as a FROM clause naming the table `t`. With a side table, rows whose key has a NULL
   * part are not among them: no side row can match them, and the digests leave them out as the key's problem.
   */
  protected unversionedRows(table: SourceTable, sided = this.sided.has(table.name)): string {
    const t = `${this.tableSql(table.name)} t`;
    if (!sided) return `${t} WHERE t.${this.vcq} IS NULL`;
    const on = table.key.map((k) => `s.${this.quote(k)} = t.${this.quote(k)}`).join(' AND ');
    const present = table.key.map((k) => `t.${this.quote(k)} IS NOT NULL`).join(' AND ');
    return `${t} WHERE ${present} AND NOT EXISTS (SELECT 1 FROM ${this.trackingTable(sideTableName(table.name))} s WHERE ${on})`;
  }

  async versionCounter(): Promise<bigint> {
    if (!this.existingVersionColumn) return this.requireTracking(() => this.trackedCounter());
    let max = 0n;
    for (const t of this.described) {
      const v = await this.maxVersion(t);
      if (v > max) max = v;
    }
    return max;
  }

  capturesDeletes(table: SourceTable): boolean {
    return this.logged.has(table.name);
  }

  /** The highest version of the table's changes: its rows and its logged deletes. */
  async localMax(table: SourceTable): Promise<bigint> {
    const rows = await this.requireTracking(() => this.maxVersion(table.name));
    if (!this.logged.has(table.name)) return rows;
    const [[max]] = await this.queryRows(`SELECT max(${this.vcq}) FROM ${this.logTable(table.name)}`, []);
    const deleted = max === null ? 0n : BigInt(max as string | bigint);
    return deleted > rows ? deleted : rows;
  }

  async deletesAfter(table: SourceTable, after: bigint, upTo: bigint, limit: number): Promise<DeletedKeys> {
    if (!this.logged.has(table.name)) return { keys: table.key.map(() => []), versions: [] };
    const p = this.param;
    const rows = await this.queryRows(
      `SELECT ${this.keyColumns(table)} FROM ${this.logTable(table.name)}
        WHERE ${this.vcq} > ${p(1)} AND ${this.vcq} <= ${p(2)} ORDER BY ${this.vcq} LIMIT ${p(3)}`,
      [after.toString(), upTo.toString(), limit],
    );
    return deletedKeysOf(rows, keyTypes(table), this.toWire);
  }

  async pruneDeletes(table: SourceTable, through: bigint): Promise<void> {
    if (this.logged.has(table.name))
      await this.queryRows(`DELETE FROM ${this.logTable(table.name)} WHERE ${this.vcq} <= ${this.param(1)}`, [
        through.toString(),
      ]);
  }

  /**
   * After a restore the counter is rewound, but a delete log restored apart from its table (or not at all) may hold
   * versions above it: deletes of a lost timeline. They can never be read below the safe watermark, and would hold
   * the table "ahead" for ever: they go.
   */
  protected async forgetDeletesAboveCounter(): Promise<void> {
    if (this.logged.size === 0) return;
    const counter = await this.trackedCounter();
    for (const table of this.logged)
      if (await this.hasDeleteLog(table))
        await this.queryRows(`DELETE FROM ${this.logTable(table)} WHERE ${this.vcq} > ${this.param(1)}`, [
          counter.toString(),
        ]);
  }

  async rowsAfter(table: SourceTable, after: bigint, upTo: bigint, limit: number): Promise<ColumnarRows> {
    return columnarOf(table, await this.selectAfter(table, after, upTo, limit), this.toWire);
  }

  async rowsWithVersions(table: SourceTable, versions: bigint[]): Promise<ColumnarRows> {
    return columnarOf(table, versions.length === 0 ? [] : await this.selectVersions(table, versions), this.toWire);
  }

  async manifest(table: SourceTable, ranges: readonly VersionRange[]): Promise<Map<string, bigint>> {
    return manifestOf(
      ranges.length === 0 ? [] : await this.keysAndVersions(table, ranges),
      keyTypes(table),
      this.toWire,
    );
  }

  /** md5, which the agent computes itself: engines that hash in SQL decide by table and mode. */
  digestHash(_table: SourceTable, _content: boolean): DigestHash {
    return 'md5';
  }

  async digests(table: SourceTable, ranges: readonly VersionRange[]): Promise<RangeDigest[]> {
    return digestsOf(
      ranges.length === 0 ? [] : await this.keysAndVersions(table, ranges),
      keyTypes(table),
      this.toWire,
      ranges,
    );
  }

  async contentDigests(table: SourceTable, ranges: readonly VersionRange[]): Promise<RangeDigest[]> {
    return contentDigestsOf(this.contentIn(table, ranges), ranges);
  }

  async contentManifest(
    table: SourceTable,
    ranges: readonly VersionRange[],
  ): Promise<Map<string, { version: bigint; content: string }>> {
    return contentManifestOf(this.contentIn(table, ranges));
  }

  /** The rows of the ranges with all their columns, read a page at a time (never a whole slice), in version order. */
  private async *contentIn(table: SourceTable, ranges: readonly VersionRange[]): AsyncIterable<RowContent> {
    for (const r of ranges)
      for (let after = r.after; ;) {
        const page = await this.selectAfter(table, after, r.upTo, CONTENT_PAGE_ROWS);
        yield* contentOf(table, page, this.toWire);
        if (page.length < CONTENT_PAGE_ROWS) break;
        after = BigInt(page[page.length - 1][table.columns.length] as string | bigint);
      }
  }

  async newestMarker(): Promise<Marker | undefined> {
    return this.requireTracking(() => this.readNewestMarker());
  }

  /** Server engines' databases are not files: nothing to reopen. */
  async reopenIfReplaced(): Promise<boolean> {
    return false;
  }

  /** The column list of a row read from rowsOf: every column (as ShapeColumn.read says), then the version. */
  protected rowColumns(table: SourceTable): string {
    return [...table.columns.map((c) => this.columnSql(table.name, c.name)), this.vcq].join(', ');
  }

  /** A column of `t` as its value is read. */
  protected columnSql(table: string, column: string): string {
    const expr = `t.${this.quote(column)}`;
    return this.reads.get(table)?.get(column)?.(expr) ?? expr;
  }

  /**
   * Where rows are read with their versions, the table as `t`: the table itself, or in side-table mode its side table
   * joined to it by key (the version column then exists only there, so it needs no qualifier).
   */
  protected rowsOf(table: SourceTable): string {
    const t = `${this.tableSql(table.name)} t`;
    if (!this.sided.has(table.name)) return t;
    // The table's column on the left: SQLite compares by the left column's collation, so a NOCASE key still finds its
    // row through the table's own key index (the other way round it read the whole table for every batch).
    const on = table.key.map((k) => `t.${this.quote(k)} = s.${this.quote(k)}`).join(' AND ');
    return `${this.trackingTable(sideTableName(table.name))} s JOIN ${t} ON ${on}`;
  }

  /** Where keys and versions alone are read: the table, or its side table, which holds both. */
  protected versionsOf(table: string): string {
    return this.sided.has(table) ? this.trackingTable(sideTableName(table)) : this.tableSql(table);
  }

  /** Whether the table is tracked with a side table (as `describe` found it). */
  protected isSided(table: string): boolean {
    return this.sided.has(table);
  }

  protected hasDeleteLog(table: string): Promise<boolean> {
    return this.trackingTableExists(deleteLogName(table));
  }

  protected logTable(table: string): string {
    return this.trackingTable(deleteLogName(table));
  }

  /** The column list of a key read: the key columns, then the version. */
  protected keyColumns(table: SourceTable): string {
    return [...table.key.map(this.quote), this.vcq].join(', ');
  }

  private async requireTracking<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      if (this.isTrackingMissing(err))
        throw new Error(
          `version tracking is not installed in this database: run "rowferry-agent track" (${(err as Error).message})`,
          { cause: err },
        );
      throw err;
    }
  }
}
