import Database from 'better-sqlite3';
import pg from 'pg';
import { quoteIdent } from '#contracts';

/**
 * Every row of a local SQLite table against the tenant's remote rows, column by column, as JSON text of the
 * normalised values. Returns a list of differences (empty when equal). `remoteTable`: the cloud table, when the
 * agent syncs the table under another name.
 */
export async function compareTable(
  sqlitePath: string,
  databaseUrl: string,
  databaseId: string,
  table: string,
  key: string[],
  versionColumn = '_rowferry_version',
  remoteTable = table,
): Promise<string[]> {
  const local = new Database(sqlitePath, { readonly: true });
  local.defaultSafeIntegers(true);
  // table_xinfo: generated columns (hidden 2, 3) are synced too; hidden 1 is a virtual table's own column.
  const cols = (local.prepare(`PRAGMA table_xinfo(${quoteIdent(table)})`).all() as { name: string; hidden: bigint }[])
    .filter((c) => c.hidden !== 1n)
    .map((c) => c.name)
    .filter((n) => n !== versionColumn);
  const localRows = local
    .prepare(`SELECT ${cols.map(quoteIdent).join(', ')} FROM ${quoteIdent(table)}`)
    .raw()
    .all() as unknown[][];
  local.close();
  // Dates as PostgreSQL prints them (YYYY-MM-DD), not as JavaScript Date objects in the local time zone.
  const types = {
    getTypeParser: (oid: number, format?: 'text' | 'binary') =>
      oid === 1082 ? (v: string) => v : pg.types.getTypeParser(oid, format),
  };
  const client = new pg.Client({ connectionString: databaseUrl, types: types as pg.CustomTypesConfig });
  await client.connect();
  const { rows: remoteRows } = await client.query({
    text: `SELECT ${cols.map(quoteIdent).join(', ')} FROM rowferry_data.${quoteIdent(remoteTable)} WHERE _rf_database = $1`,
    values: [databaseId],
    rowMode: 'array',
  });
  await client.end();
  // Both sides as text: pg gives int8 and numeric as strings, SQLite (safe integers) gives BigInt.
  const norm = (v: unknown) =>
    v === null
      ? 'null'
      : Buffer.isBuffer(v)
        ? `b:${v.toString('base64')}`
        : typeof v === 'boolean'
          ? v
            ? '1'
            : '0'
          : String(v);
  const keyIdx = key.map((k) => cols.indexOf(k));
  const index = (rows: unknown[][]) =>
    new Map(rows.map((r) => [JSON.stringify(keyIdx.map((i) => norm(r[i]))), JSON.stringify(r.map(norm))]));
  const l = index(localRows);
  const r = index(remoteRows as unknown[][]);
  const diffs: string[] = [];
  for (const [k, v] of l) if (r.get(k) !== v) diffs.push(`${table} ${k}: local ${v} remote ${r.get(k) ?? '(missing)'}`);
  for (const k of r.keys()) if (!l.has(k)) diffs.push(`${table} ${k}: remote only`);
  return diffs;
}
