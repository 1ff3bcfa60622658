import type { ColumnarRows, ColumnDef, ColumnType, DeletedKeys, DigestHash, VersionRange } from '#contracts';
import type { Marker, RangeDigest } from '#sync';

/** A local table as the agent syncs it: its columns in rowferry's types and its key. */
export interface SourceTable {
  name: string;
  columns: ColumnDef[];
  key: string[];
}

/**
 * A table `track` is asked to track, with the key configured for it (else its primary key); `sideTable` keeps its
 * versions in a table beside it instead of a column in it (docs/sources.md, Side tables).
 */
export interface TableToTrack {
  name: string;
  key?: string[];
  sideTable?: boolean;
  /** Columns of a type the cloud cannot store with its meaning, synced as their text (ShapeColumn.textOnly). */
  asText?: string[];
}

/**
 * What the agent needs from a local database engine. Versions come from the tracking that `track` installs;
 * reads stay below the safe watermark (docs/sync-model.md, Safe watermark) so no row still being committed is skipped.
 * Asynchronous, since server engines answer over a connection.
 */
export interface Source {
  describe(table: TableToTrack): Promise<SourceTable>;
  /** Installs version tracking (column, triggers, counter, delete log, markers) for the tables; says what it did. */
  installTracking(tables: readonly TableToTrack[]): Promise<string[]>;
  /** Every version at or below this is committed and visible (or rolled back): the "ahead" path reads up to it. */
  safeWatermark(): Promise<bigint>;
  /** The highest version among the table's rows and its logged deletes (0 when it has neither). */
  localMax(table: SourceTable): Promise<bigint>;
  count(table: SourceTable): Promise<number>;
  /**
   * Gives a version to every row still without one (written where no trigger fired: docs/sources.md, Writes that
   * escape the triggers) and covers parts of the table tracking does not cover yet; says how many rows and what it
   * did. `roundStart`: a round of the difference check starts, when costlier looks are taken.
   */
  stampUnversioned(table: SourceTable, roundStart: boolean): Promise<{ stamped: number; notes: string[] }>;
  /** Rows of the table without a version: invisible to every version-based step until stamped. */
  unversioned(table: SourceTable): Promise<number>;
  /** Rows with version in (after, upTo], in version order, at most `limit`. */
  rowsAfter(table: SourceTable, after: bigint, upTo: bigint, limit: number): Promise<ColumnarRows>;
  /**
   * Keys deleted with a version in (after, upTo], in version order, at most `limit`: empty where no delete log is
   * installed (docs/sync-model.md, Deletes).
   */
  deletesAfter(table: SourceTable, after: bigint, upTo: bigint, limit: number): Promise<DeletedKeys>;
  /**
   * Whether the table's deletes are logged as they happen (docs/sync-model.md, Deletes): where not (the application's
   * own version column, tracking from before delete logs) only the difference check finds them, every pass.
   */
  capturesDeletes(table: SourceTable): boolean;
  /** Forgets logged deletes at or below `through`: the remote has applied them. */
  pruneDeletes(table: SourceTable, through: bigint): Promise<void>;
  /** The version of the `n`th row above `after` in version order; undefined when there are fewer. */
  versionAt(table: SourceTable, after: bigint, n: number): Promise<bigint | undefined>;
  /** Canonical key → version of the rows with version in the ranges (after, upTo]. */
  manifest(table: SourceTable, ranges: readonly VersionRange[]): Promise<Map<string, bigint>>;
  /**
   * How digests and content digests of this table are hashed (digest-sql.ts): md5 unless both sides can compute a
   * cheaper hash in SQL.
   */
  digestHash(table: SourceTable, content: boolean): DigestHash;
  /** Count and digest (by digestHash) of the rows in each range; ranges sorted and not overlapping. */
  digests(table: SourceTable, ranges: readonly VersionRange[]): Promise<RangeDigest[]>;
  /**
   * Count and content digest (by digestHash) of the rows in each range: key, version and every column's canonical
   * value (docs/difference-check.md, Content). Throws DigestHashChanged when it finds it cannot hash by the hash it
   * said: digestHash then says another, and the comparison starts again.
   */
  contentDigests(table: SourceTable, ranges: readonly VersionRange[]): Promise<RangeDigest[]>;
  /** Canonical key → version and content hash of the rows in the ranges, for a content check's key-level diff. */
  contentManifest(
    table: SourceTable,
    ranges: readonly VersionRange[],
  ): Promise<Map<string, { version: bigint; content: string }>>;
  rowsWithVersions(table: SourceTable, versions: bigint[]): Promise<ColumnarRows>;
  /** The local version of the row with this canonical key, if the row exists. */
  versionOfKey(table: SourceTable, key: string): Promise<bigint | undefined>;
  /** The newest restore marker in the local database (docs/sync-model.md, Restores). */
  newestMarker(): Promise<Marker | undefined>;
  /**
   * Writes a marker only if the newest local marker is still `expected` (the one seen at the start of the pass);
   * false when it is not: the database changed under the agent (restored mid-pass), and the next pass will see it.
   */
  writeMarker(marker: Marker, expected: string | undefined): Promise<boolean>;
  /** After a restore: forget what was proven about the old timeline (the safe watermark) and reopen what was open. */
  resetAfterRestore(): Promise<void>;
  /**
   * What a pass would find changed, read in one statement (docs/sync-model.md, Idle passes): the version counter,
   * the newest marker, the tables' schema and whether any row lacks a version. Undefined where it cannot be read (the
   * application's own version column has no counter; tracking missing): such a pass is never skipped.
   */
  pulse(tables: readonly SourceTable[]): Promise<Pulse | undefined>;
  /** Reopens the database when its file was replaced (a restore by rename); true when it did. Server engines: false. */
  reopenIfReplaced(): Promise<boolean>;
  close(): Promise<void>;
}

/** The source's pulse: its version counter, and a digest of everything else a pass depends on (the counter too). */
export interface Pulse {
  counter: bigint;
  digest: string;
}

/** The source cannot hash a table's content as digestHash said (a value its SQL cannot cast): ask digestHash again. */
export class DigestHashChanged extends Error {
  constructor(table: string, reason: string) {
    super(`content of "${table}" is hashed by md5 from now on: ${reason}`);
  }
}

/**
 * A described table with its key: the configured one, else the primary key; refused with a reason when there is none.
 */
export function keyedTable(
  name: string,
  columns: ColumnDef[],
  primaryKey: string[],
  keyOverride?: string[],
): SourceTable {
  const key = keyOverride ?? primaryKey;
  if (key.length === 0)
    throw new Error(
      `table "${name}" has no primary key and no key is configured for it (set tables[].key in the config)`,
    );
  for (const k of key)
    if (!columns.some((c) => c.name === k))
      throw new Error(`configured key column "${k}" does not exist in table "${name}"`);
  return { name, columns, key };
}

/** The rowferry types of the table's key columns, in key order. */
export function keyTypes(table: SourceTable): ColumnType[] {
  return table.key.map((k) => table.columns.find((c) => c.name === k)!.type);
}
