/** The one way an identifier enters SQL here: double-quoted, inner quotes doubled. */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\0')) throw new Error(`not a usable SQL identifier: ${JSON.stringify(name)}`);
  return `"${name.replace(/"/g, '""')}"`;
}

/** Schema holding the shared data tables, one per synced table name. */
export const DATA_SCHEMA = 'rowferry_data';

/** The role that owns the data schema and its tables; registration's DDL switches to it (migration 1764190000000). */
export const OWNER_ROLE = 'rowferry_owner';

/** The role every tenant-scoped transaction switches to, so row-level security applies even to a superuser connection. */
export const TENANT_ROLE = 'rowferry_tenant';

export function dataTable(table: string): string {
  return `${quoteIdent(DATA_SCHEMA)}.${quoteIdent(table)}`;
}
