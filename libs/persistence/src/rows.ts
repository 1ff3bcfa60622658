import {
  columnJson,
  contentTextSql,
  digestAggregatesSql,
  keyHashInputSql,
  maxVersionOf,
  quoteIdent,
  rowHashSql,
  type ColumnDef,
  type DeleteRequest,
  type ManifestCheckJob,
  type RangeHashJob,
  type TenantRef,
  type UploadJob,
} from '#contracts';
import { CITUS_PRESENT_SQL } from './citus.js';
import { asDeclaredSql, canonicalKeySql, fromWireSql } from './column-types.js';
import type { Queryable } from './queryable.js';
import { dataTable } from './sql-identifiers.js';
import { VALUE_SETTINGS } from './tenant-transaction.js';

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

/**
 * Columns of values, each a JSON array's text, as a row source `ROWS FROM (…) AS u(<names>)`: one parameter a
 * column, each value read as text (NULL for null). JSON rather than text[]: JSON.stringify writes a 20,000-row column
 * in a tenth of the time node-postgres takes to write an array literal, which held a worker's event loop for about
 * 20 ms a batch, and PostgreSQL reads the one as fast as the other (docs/benchmarks.md); and an upload's columns
 * arrive as JSON text already (columnJson).
 */
function columnsSource(columns: string[], firstParam: number, names: string[]) {
  const reads = columns.map((_, i) => `json_array_elements_text($${firstParam + i}::json)`);
  return { from: `ROWS FROM (${reads.join(', ')}) AS u(${names.join(', ')})`, params: columns };
}

/** The rows of a batch as a row source `u(<columns>, _rf_version[, _rf_replace])` (columnsSource). */
function batchSource(job: Pick<UploadJob, 'columns' | 'rows'>, firstParam: number, replace?: string[]) {
  const cols = job.columns.map((c) => quoteIdent(c.name));
  const columns = [
    ...cols.map((_, i) => columnJson(job.rows.values, i)),
    JSON.stringify(job.rows.versions),
    ...(replace ? [JSON.stringify(replace)] : []),
  ];
  const names = [...cols, '_rf_version', ...(replace ? ['_rf_replace'] : [])];
  return {
    cols,
    ...columnsSource(columns, firstParam, names),
    values: job.columns.map((c, i) => fromWireSql(c, `u.${cols[i]}`)),
  };
}

/**
 * A batch's rows as the source of an `INSERT INTO <table> (insertColumns)`, after the three parameters every row
 * shares (customer, database, the transaction's start, written rather than left to the columns' defaults, which
 * Citus may fill on a worker node, whose now() is not ours): one statement's rows and parameters each. On PostgreSQL
 * one `SELECT … FROM ROWS FROM (…)`, a JSON array parameter a column. On Citus that would run as an INSERT …
 * SELECT through the coordinator, which copies the rows into the shard with COPY, and COPY refuses a table under
 * row-level security: there the rows are multi-row VALUES statements (of at most 100 rows, and 65,535 parameters),
 * which go to the tenant's shard as they are.
 */
function rowSources(job: Pick<UploadJob, 'columns' | 'rows'>, citus: boolean) {
  const fixed = 3;
  const cols = job.columns.map((c) => quoteIdent(c.name));
  if (!citus) {
    const u = batchSource(job, fixed + 1);
    return [
      {
        source: `SELECT $1::uuid, $2::uuid, ${u.values.join(', ')}, u._rf_version::bigint, $3::timestamptz, $3::timestamptz
                   FROM ${u.from}`,
        params: u.params,
      },
    ];
  }
  const perRow = cols.length + 1;
  // Citus plans a multi-row VALUES at a cost that grows faster than its rows: 100 a statement loaded twice as fast as
  // 10,000 (docs/benchmarks.md, Citus).
  const rowsPerStatement = Math.min(CITUS_ROWS_PER_STATEMENT, Math.floor((65_535 - fixed) / perRow));
  const sources = [];
  for (let first = 0; first < job.rows.versions.length; first += rowsPerStatement) {
    const last = Math.min(first + rowsPerStatement, job.rows.versions.length);
    const params: unknown[] = [];
    const tuples: string[] = [];
    for (let r = first; r < last; r++) {
      const values = job.columns.map((c, i) => {
        params.push(job.rows.values[i][r]);
        return fromWireSql(c, `$${fixed + params.length}::text`);
      });
      params.push(job.rows.versions[r]);
      tuples.push(
        `($1::uuid, $2::uuid, ${values.join(', ')}, $${fixed + params.length}::bigint, $3::timestamptz, $3::timestamptz)`,
      );
    }
    sources.push({ source: `VALUES ${tuples.join(', ')}`, params });
  }
  return sources;
}

const CITUS_ROWS_PER_STATEMENT = 100;

/** The columns every insert writes, in rowSources' order. */
function insertColumns(cols: string[]): string {
  return `(_rf_customer, _rf_database, ${cols.join(', ')}, _rf_version, _rf_modified_at, _rf_created_at)`;
}

/** What a write needs to know of its transaction: its start (see upsertRows), and whether it runs on Citus. */
async function transactionFacts(db: Queryable): Promise<{ now: string; citus: boolean }> {
  const { rows } = await db.query<{ now: string; citus: boolean }>(
    `SELECT now()::text AS now, ${CITUS_PRESENT_SQL} AS citus`,
  );
  return rows[0];
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
  const { now, citus } = await transactionFacts(db);
  const cols = job.columns.map((c) => quoteIdent(c.name));
  await db.query('SAVEPOINT new_rows');
  try {
    for (const { source, params } of rowSources(job, citus))
      await db.query(`INSERT INTO ${dataTable(job.table)} ${insertColumns(cols)} ${source}`, [
        job.tenant.customerId,
        job.tenant.databaseId,
        now,
        ...params,
      ]);
    await db.query('RELEASE SAVEPOINT new_rows');
  } catch (err) {
    await db.query('ROLLBACK TO SAVEPOINT new_rows');
    if ((err as { code?: unknown }).code === UNIQUE_VIOLATION) return undefined;
    throw err;
  }
  const n = job.rows.versions.length;
  return { applied: n, inserted: n, skippedOlder: 0, maxVersion: maxVersionOf(job.rows.versions) };
}

const UNIQUE_VIOLATION = '23505';

/** One `INSERT … ON CONFLICT` per batch (per statement's worth of rows on Citus: rowSources). */
export async function upsertRows(
  db: Queryable,
  job: Pick<UploadJob, 'table' | 'columns' | 'rows' | 'key' | 'tenant'>,
): Promise<AppliedUpload> {
  const { table, columns, rows, key, tenant } = job;
  const { now, citus } = await transactionFacts(db);
  const keyNames = new Set(key.map((k) => k.name));
  const cols = columns.map((c) => quoteIdent(c.name));
  const updates = columns
    .filter((c) => !keyNames.has(c.name))
    .map((c) => `${quoteIdent(c.name)} = EXCLUDED.${quoteIdent(c.name)}`);
  const keyCols = key.map((k) => quoteIdent(k.name));
  // New rows are told apart by _rf_created_at = this transaction's start ($3, what the column's default gives): xmax,
  // the usual way, cannot be read from a partitioned table, and probing for existing rows first would cost one more
  // index lookup per row. A value, not now(): Citus runs RETURNING and DO UPDATE SET on the worker nodes, and refuses
  // functions there that are not IMMUTABLE.
  const total = { applied: 0, inserted: 0, maxVersion: undefined as bigint | undefined };
  for (const { source, params } of rowSources(job, citus)) {
    const {
      rows: [r],
    } = await db.query<{ applied: number; inserted: number; max_version: string | null }>(
      `WITH up AS (
         INSERT INTO ${dataTable(table)} AS t ${insertColumns(cols)}
         ${source}
         ON CONFLICT (_rf_database, ${keyCols.join(', ')}) DO UPDATE
           SET ${[...updates, '_rf_version = EXCLUDED._rf_version', '_rf_modified_at = $3::timestamptz'].join(', ')}
           WHERE t._rf_version <= EXCLUDED._rf_version
         RETURNING _rf_created_at = $3::timestamptz AS inserted, _rf_version
       )
       SELECT count(*)::int AS applied, (count(*) FILTER (WHERE inserted))::int AS inserted,
              max(_rf_version)::text AS max_version FROM up`,
      [tenant.customerId, tenant.databaseId, now, ...params],
    );
    total.applied += r.applied;
    total.inserted += r.inserted;
    if (r.max_version !== null && (total.maxVersion === undefined || BigInt(r.max_version) > total.maxVersion))
      total.maxVersion = BigInt(r.max_version);
  }
  return { ...total, skippedOlder: rows.versions.length - total.applied };
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
  const u = batchSource(job, 3, replace);
  const keyNames = new Set(job.key.map((k) => k.name));
  const sets = job.columns
    .map((c, i) => (keyNames.has(c.name) ? undefined : `${u.cols[i]} = ${u.values[i]}`))
    .filter((x) => x !== undefined);
  const match = job.key.map((k) => `t.${quoteIdent(k.name)} = ${fromWireSql(k, `u.${quoteIdent(k.name)}`)}`);
  const { rows } = await db.query<{ n: number }>(
    `WITH r AS (UPDATE ${dataTable(job.table)} AS t
                   SET ${[...sets, '_rf_version = u._rf_version::bigint', '_rf_modified_at = $2::timestamptz'].join(', ')}
                  FROM ${u.from}
                 WHERE t._rf_database = $1::uuid AND ${match.join(' AND ')} AND t._rf_version = u._rf_replace::bigint
                 RETURNING 1)
     SELECT count(*)::int AS n FROM r`,
    [job.tenant.databaseId, (await transactionFacts(db)).now, ...u.params],
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
      const match = key.map((k, i) => `t.${cols[i]} = ${fromWireSql(k, `u.${cols[i]}`)}`);
      const columns = [...request.keys, request.versions].map((c) => JSON.stringify(c));
      const u = columnsSource(columns, 2, [...cols, '_rf_version']);
      sql = `DELETE FROM ${t} AS t
               USING ${u.from}
              WHERE t._rf_database = $1::uuid AND ${match.join(' AND ')} AND t._rf_version <= u._rf_version::bigint`;
      params = [tenant.databaseId, ...u.params];
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
    const value = asDeclaredSql(c, `t.${quoteIdent(c.name)}`);
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
const CONTENT_TEXT_SETTINGS = `${VALUE_SETTINGS}; SET LOCAL extra_float_digits = 1`;

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
  const cells = job.columns.map((c) => contentTextSql(c.type, asDeclaredSql(c, `t.${quoteIdent(c.name)}`)));
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
