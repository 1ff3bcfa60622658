import {
  contentTextSql,
  digestAggregatesSql,
  keyHashInputSql,
  quoteIdent,
  rowHashSql,
  type ColumnDef,
  type DeleteRequest,
  type ManifestCheckJob,
  type RangeHashJob,
  type TenantRef,
  type UploadJob,
} from '#contracts';
import { asDeclaredSql, canonicalKeySql, fromWireSql } from './column-types.js';
import type { Queryable } from './queryable.js';
import { dataTable } from './sql-identifiers.js';

/**
 * The bulk SQL on the shared data tables. Every statement names the tenant explicitly (partition pruning) on top
 * of row-level security, and every write is version-guarded, so jobs are idempotent and safe in any order.
 */

export interface AppliedUpload {
  /** Rows written (new or replacing an equal or older version). */
  applied: number;
  inserted: number;
  /** Rows not written because the remote row already had a newer version. */
  skippedOlder: number;
  /** Highest version among the rows written, if any. */
  maxVersion: bigint | undefined;
}

/** The rows of a batch as `unnest(…) AS u(<columns>, _rf_version[, _rf_replace])`: one text[] parameter per column. */
function unnestBatch(job: Pick<UploadJob, 'columns' | 'rows'>, firstParam: number, replace?: string[]) {
  const cols = job.columns.map((c) => quoteIdent(c.name));
  const arrays: unknown[] = [...job.rows.values, job.rows.versions, ...(replace ? [replace] : [])];
  const alias = [...cols, '_rf_version', ...(replace ? ['_rf_replace'] : [])];
  return {
    cols,
    params: arrays,
    from: `unnest(${arrays.map((_, i) => `$${firstParam + i}::text[]`).join(', ')}) AS u(${alias.join(', ')})`,
    values: job.columns.map((c, i) => fromWireSql(c.type, `u.${cols[i]}`)),
  };
}

/**
 * A batch none of whose keys exists remotely, inserted without ON CONFLICT: PostgreSQL's upsert probes the key index
 * before it inserts, which made a new row cost a third more (docs/benchmarks.md). Undefined, with nothing written,
 * when a key does exist: then the batch is upserted.
 */
export async function insertNewRows(
  db: Queryable,
  job: Pick<UploadJob, 'table' | 'columns' | 'rows' | 'tenant'>,
): Promise<AppliedUpload | undefined> {
  const u = unnestBatch(job, 3);
  await db.query('SAVEPOINT new_rows');
  try {
    await db.query(
      `INSERT INTO ${dataTable(job.table)} (_rf_customer, _rf_database, ${u.cols.join(', ')}, _rf_version)
       SELECT $1::uuid, $2::uuid, ${u.values.join(', ')}, u._rf_version::bigint FROM ${u.from}`,
      [job.tenant.customerId, job.tenant.databaseId, ...u.params],
    );
    await db.query('RELEASE SAVEPOINT new_rows');
  } catch (err) {
    await db.query('ROLLBACK TO SAVEPOINT new_rows');
    if ((err as { code?: unknown }).code === UNIQUE_VIOLATION) return undefined;
    throw err;
  }
  const n = job.rows.versions.length;
  const maxVersion = job.rows.versions.reduce((m, v) => (BigInt(v) > m ? BigInt(v) : m), 0n);
  return { applied: n, inserted: n, skippedOlder: 0, maxVersion: n > 0 ? maxVersion : undefined };
}

const UNIQUE_VIOLATION = '23505';

/** One `INSERT … SELECT FROM unnest(…)` per batch; each column array is one text[] parameter. */
export async function upsertRows(
  db: Queryable,
  job: Pick<UploadJob, 'table' | 'columns' | 'rows' | 'key' | 'tenant'>,
): Promise<AppliedUpload> {
  const { table, columns, rows, key, tenant } = job;
  const keyNames = new Set(key.map((k) => k.name));
  const u = unnestBatch(job, 3);
  const params: unknown[] = [tenant.customerId, tenant.databaseId, ...u.params];
  const updates = columns
    .filter((c) => !keyNames.has(c.name))
    .map((c) => `${quoteIdent(c.name)} = EXCLUDED.${quoteIdent(c.name)}`);
  const keyCols = key.map((k) => quoteIdent(k.name));
  // New rows are told apart by _rf_created_at = now() (this transaction's start): xmax, the usual way, cannot be
  // read from a partitioned table, and probing for existing rows first would cost one more index lookup per row.
  const sql = `
    WITH up AS (
      INSERT INTO ${dataTable(table)} AS t (_rf_customer, _rf_database, ${u.cols.join(', ')}, _rf_version)
      SELECT $1::uuid, $2::uuid, ${u.values.join(', ')}, u._rf_version::bigint
        FROM ${u.from}
      ON CONFLICT (_rf_database, ${keyCols.join(', ')}) DO UPDATE
        SET ${[...updates, '_rf_version = EXCLUDED._rf_version', '_rf_modified_at = now()'].join(', ')}
        WHERE t._rf_version <= EXCLUDED._rf_version
      RETURNING _rf_created_at = now() AS inserted, _rf_version
    )
    SELECT count(*)::int AS applied, (count(*) FILTER (WHERE inserted))::int AS inserted, max(_rf_version)::text AS max_version FROM up`;
  const {
    rows: [r],
  } = await db.query<{ applied: number; inserted: number; max_version: string | null }>(sql, params);
  return {
    applied: r.applied,
    inserted: r.inserted,
    skippedOlder: rows.versions.length - r.applied,
    maxVersion: r.max_version === null ? undefined : BigInt(r.max_version),
  };
}

/**
 * The compare-and-set replace of docs/sync-model.md, Restores: each row replaces the remote row with its key only if
 * that row still has exactly the version given in `replace` (a newer version from a lost timeline, which the version
 * guard of an upsert would keep for ever). Returns how many rows were replaced.
 */
export async function replaceRows(
  db: Queryable,
  job: Pick<UploadJob, 'table' | 'columns' | 'rows' | 'key' | 'tenant'>,
  replace: string[],
): Promise<number> {
  const u = unnestBatch(job, 2, replace);
  const keyNames = new Set(job.key.map((k) => k.name));
  const sets = job.columns
    .map((c, i) => (keyNames.has(c.name) ? undefined : `${u.cols[i]} = ${u.values[i]}`))
    .filter((x) => x !== undefined);
  const match = job.key.map((k) => `t.${quoteIdent(k.name)} = ${fromWireSql(k.type, `u.${quoteIdent(k.name)}`)}`);
  const { rows } = await db.query<{ n: number }>(
    `WITH r AS (UPDATE ${dataTable(job.table)} AS t
                   SET ${[...sets, '_rf_version = u._rf_version::bigint', '_rf_modified_at = now()'].join(', ')}
                  FROM ${u.from}
                 WHERE t._rf_database = $1::uuid AND ${match.join(' AND ')} AND t._rf_version = u._rf_replace::bigint
                 RETURNING 1)
     SELECT count(*)::int AS n FROM r`,
    [job.tenant.databaseId, ...u.params],
  );
  return rows[0].n;
}

export async function deleteRows(
  db: Queryable,
  tenant: TenantRef,
  table: string,
  key: ColumnDef[],
  request: DeleteRequest,
): Promise<number> {
  const t = dataTable(table);
  let sql: string;
  let params: unknown[];
  switch (request.mode) {
    case 'all':
      sql = `DELETE FROM ${t} WHERE _rf_database = $1::uuid`;
      params = [tenant.databaseId];
      break;
    case 'above':
      sql = `DELETE FROM ${t} WHERE _rf_database = $1::uuid AND _rf_version > $2::bigint`;
      params = [tenant.databaseId, request.version];
      break;
    case 'keys': {
      const cols = key.map((k) => quoteIdent(k.name));
      const match = key.map((k, i) => `t.${cols[i]} = ${fromWireSql(k.type, `u.${cols[i]}`)}`);
      sql = `DELETE FROM ${t} AS t
               USING unnest(${[...cols, '_rf_version'].map((_, i) => `$${i + 2}::text[]`).join(', ')}) AS u(${[...cols, '_rf_version'].join(', ')})
              WHERE t._rf_database = $1::uuid AND ${match.join(' AND ')} AND t._rf_version <= u._rf_version::bigint`;
      params = [tenant.databaseId, ...request.keys, request.versions];
      break;
    }
  }
  const { rows } = await db.query<{ deleted: number }>(
    `WITH d AS (${sql} RETURNING 1) SELECT count(*)::int AS deleted FROM d`,
    params,
  );
  return rows[0].deleted;
}

/**
 * The remote (canonical key, version) pairs of some version ranges (after, upTo], or undefined when they hold more
 * than `maxRows`: a job never loads more than that, however large the ranges it was given.
 */
export async function readManifest(
  db: Queryable,
  job: Pick<ManifestCheckJob, 'tenant' | 'table' | 'key' | 'ranges'>,
  maxRows: number,
): Promise<Map<string, bigint> | undefined> {
  const parts = job.key.map((k) => canonicalKeySql(k.type, `t.${quoteIdent(k.name)}`));
  const { rows } = await db.query<{ k: string[]; v: string }>(
    `SELECT ARRAY[${parts.join(', ')}] AS k, t._rf_version::text AS v
       FROM unnest($2::bigint[], $3::bigint[]) AS r(a, b)
       JOIN ${dataTable(job.table)} t ON t._rf_database = $1::uuid AND t._rf_version > r.a AND t._rf_version <= r.b
      LIMIT $4`,
    [job.tenant.databaseId, job.ranges.map((r) => r.after), job.ranges.map((r) => r.upTo), maxRows + 1],
  );
  if (rows.length > maxRows) return undefined;
  return new Map(rows.map((r) => [JSON.stringify(r.k), BigInt(r.v)]));
}

/**
 * Count and digest of the remote rows in each version range, computed in SQL with the job's hash (digest-sql.ts):
 * over key and version, and in a content check by hashtext also over the listed columns (an md5 content check loads
 * the rows instead: readContentRows).
 */
export async function readRangeDigests(
  db: Queryable,
  job: Pick<RangeHashJob, 'tenant' | 'table' | 'key' | 'ranges' | 'hash' | 'columns'>,
): Promise<{ count: number; sum: bigint }[]> {
  if (job.columns) await db.query(CONTENT_TEXT_SETTINGS);
  const parts = job.key.map((k) => canonicalKeySql(k.type, `t.${quoteIdent(k.name)}`));
  const cells = job.columns?.map((c) => {
    const value = asDeclaredSql(c.type, `t.${quoteIdent(c.name)}`);
    return { value, text: contentTextSql(c.type, value) };
  });
  const rowHash = rowHashSql(job.hash ?? 'md5', keyHashInputSql(parts, 't._rf_version'), cells);
  const aggregates = `SELECT ${digestAggregatesSql(rowHash, 't._rf_version')}`;
  const one = job.ranges.length === 1;
  // One range (a whole slice) as a plain condition, so the planner may read the tenant's partition sequentially;
  // joined to a list of ranges it walks the index instead (twice as slow over a million rows).
  const { rows } = await db.query<{ n: string; s: string }>(
    one
      ? `${aggregates} FROM ${dataTable(job.table)} t
          WHERE t._rf_database = $1::uuid AND t._rf_version > $2::bigint AND t._rf_version <= $3::bigint`
      : `${aggregates} FROM unnest($2::bigint[], $3::bigint[]) WITH ORDINALITY AS r(a, b, i)
           LEFT JOIN ${dataTable(job.table)} t ON t._rf_database = $1::uuid AND t._rf_version > r.a AND t._rf_version <= r.b
          GROUP BY r.i ORDER BY r.i`,
    one
      ? [job.tenant.databaseId, job.ranges[0].after, job.ranges[0].upTo]
      : [job.tenant.databaseId, job.ranges.map((r) => r.after), job.ranges.map((r) => r.upTo)],
  );
  return rows.map((r) => ({ count: Number(r.n), sum: BigInt(r.s) }));
}

/** hashtextextended(input, 0) of each input, as rowHashSql's hashtext computes a row's key hash. */
export async function hashtextOf(db: Queryable, inputs: string[]): Promise<bigint[]> {
  const { rows } = await db.query<{ h: string }>(
    `SELECT hashtextextended(u.i, 0)::text AS h FROM unnest($1::text[]) WITH ORDINALITY AS u(i, n) ORDER BY u.n`,
    [inputs],
  );
  return rows.map((r) => BigInt(r.h));
}

/** The session settings under which PostgreSQL prints values as contentTextSql expects. */
const CONTENT_TEXT_SETTINGS = `SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL TimeZone = 'UTC'; SET LOCAL extra_float_digits = 1`;

/** A remote row as the content check reads it: canonical key parts, version, each content column as text. */
export interface ContentRow {
  keyParts: string[];
  version: bigint;
  values: (string | null)[];
}

/**
 * The remote rows of some version ranges with their content columns as text (contentTextSql), in version order, or
 * undefined when they hold more than `maxRows`. Runs in the job's transaction, whose date and time output it fixes.
 */
export async function readContentRows(
  db: Queryable,
  job: Pick<RangeHashJob, 'tenant' | 'table' | 'key' | 'ranges'> & { columns: ColumnDef[] },
  maxRows: number,
): Promise<ContentRow[] | undefined> {
  await db.query(CONTENT_TEXT_SETTINGS);
  const parts = job.key.map((k) => canonicalKeySql(k.type, `t.${quoteIdent(k.name)}`));
  const cells = job.columns.map((c) => contentTextSql(c.type, asDeclaredSql(c.type, `t.${quoteIdent(c.name)}`)));
  const { rows } = await db.query<{ k: string[]; v: string; c: (string | null)[] }>(
    `SELECT ARRAY[${parts.join(', ')}] AS k, t._rf_version::text AS v, ARRAY[${cells.join(', ')}]::text[] AS c
       FROM unnest($2::bigint[], $3::bigint[]) AS r(a, b)
       JOIN ${dataTable(job.table)} t ON t._rf_database = $1::uuid AND t._rf_version > r.a AND t._rf_version <= r.b
      ORDER BY t._rf_version
      LIMIT $4`,
    [job.tenant.databaseId, job.ranges.map((r) => r.after), job.ranges.map((r) => r.upTo), maxRows + 1],
  );
  if (rows.length > maxRows) return undefined;
  return rows.map((r) => ({ keyParts: r.k, version: BigInt(r.v), values: r.c }));
}
