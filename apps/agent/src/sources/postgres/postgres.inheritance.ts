import { createHash } from 'node:crypto';
import type pg from 'pg';
import { quoteIdent as q } from '#contracts';

/** An inheritance child as written in SQL (schema-qualified where needed), and whose tracking is on it. */
export interface Child {
  sql: string;
  /** A foreign table: no column can be added to it, no row trigger sees its remote writes. */
  foreign: boolean;
  tracked: boolean;
  /** Its delete trigger belongs to another table's tracking (the child is tracked itself, or under another parent). */
  trackedElsewhere: boolean;
  /** It has a valid index on the version column. */
  indexed: boolean;
}

/**
 * The table's inheritance children at every depth (legacy partitioning: `INHERITS`), whose rows a read of the table
 * includes. Declarative partitions are not among them: a partitioned table's triggers are cloned onto its partitions,
 * those attached later too. A child is tracked for this table when its delete trigger calls `deleteFunction`.
 */
export async function inheritanceChildren(
  c: pg.PoolClient,
  table: string,
  deleteFunction: string,
  versionColumn: string,
): Promise<Child[]> {
  const { rows } = await c.query<Child>(
    `WITH RECURSIVE tree(oid) AS (
       SELECT i.inhrelid FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
        WHERE i.inhparent = to_regclass($1) AND p.relkind = 'r'
       UNION
       SELECT i.inhrelid FROM pg_inherits i JOIN tree ON i.inhparent = tree.oid)
     SELECT c.oid::regclass::text AS sql, c.relkind = 'f' AS foreign,
            EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND g.tgname = '_rowferry_delete'
                       AND g.tgfoid = to_regproc($2)) AS tracked,
            EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND g.tgname = '_rowferry_delete'
                       AND g.tgfoid IS DISTINCT FROM to_regproc($2)) AS "trackedElsewhere",
            EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                     WHERE i.indrelid = c.oid AND a.attname = $3 AND i.indisvalid) AS indexed
       FROM tree JOIN pg_class c ON c.oid = tree.oid WHERE c.relkind IN ('r', 'f') ORDER BY c.oid`,
    [table, deleteFunction, versionColumn],
  );
  return rows;
}

/** A row is tracked once: a child already tracked for another table cannot be tracked under this one too. */
export function refuseTrackedElsewhere(table: string, children: Child[]): void {
  const elsewhere = children.filter((ch) => ch.trackedElsewhere).map((ch) => ch.sql);
  if (elsewhere.length)
    throw new Error(
      `table "${table}" has inheritance children already tracked for another table (${elsewhere.join(', ')}): a row is synced once, so sync the parent or the child, not both`,
    );
}

/** A child's version index is named by a digest of its name, which may be long and share 63 bytes with another's. */
export function childIndexName(relation: string): string {
  return `_rowferry_version_${createHash('md5').update(relation).digest('hex').slice(0, 16)}`;
}

/** How long a pass lets a child's version index build (it waits for older transactions) before it tries next pass. */
const INDEX_BUILD_TIMEOUT_MS = 60_000;

/**
 * A valid index on the relation's version column, whatever its name: an invalid one (a concurrent build cut short)
 * is dropped and built again. `concurrently` (a pass) does not block the application's writes and gives up after
 * INDEX_BUILD_TIMEOUT_MS; `track` builds it in its transaction.
 */
export async function versionIndex(
  c: pg.PoolClient,
  relation: string,
  versionColumn: string,
  name: string,
  concurrently: boolean,
): Promise<void> {
  const { rows } = await c.query<{ index: string; valid: boolean }>(
    `SELECT i.indexrelid::regclass::text AS index, i.indisvalid AS valid FROM pg_index i
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
      WHERE i.indrelid = to_regclass($1) AND a.attname = $2`,
    [relation, versionColumn],
  );
  if (rows.some((r) => r.valid)) return;
  const how = concurrently ? 'CONCURRENTLY ' : '';
  if (concurrently) await c.query(`SET statement_timeout = ${INDEX_BUILD_TIMEOUT_MS}`);
  try {
    for (const r of rows) await c.query(`DROP INDEX ${how}${r.index}`);
    await c.query(`CREATE INDEX ${how}${q(name)} ON ${relation} (${q(versionColumn)})`);
  } finally {
    if (concurrently) await c.query(`RESET statement_timeout`);
  }
}
