import { quoteIdent } from '#contracts';

/** Schema holding the shared data tables, one per synced table name. */
export const DATA_SCHEMA = 'rowferry_data';

/** The role that owns the data schema and its tables; registration's DDL switches to it (migration 1764190000000). */
export const OWNER_ROLE = 'rowferry_owner';

/**
 * The role every tenant-scoped transaction switches to, so row-level security applies even to a superuser connection.
 */
export const TENANT_ROLE = 'rowferry_tenant';

export function dataTable(table: string): string {
  return `${quoteIdent(DATA_SCHEMA)}.${quoteIdent(table)}`;
}
