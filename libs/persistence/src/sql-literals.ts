import { isCanonicalUuid, tableNameSchema, type TenantRef } from '#contracts';

/**
 * A tenant's database id and a table name written into SQL as literals, for statements that go with their
 * transaction in one simple query (TenantScope.readOnce takes no parameters). Only values that need no quoting are
 * taken: a canonical uuid, and a table name that is an identifier; anything else throws.
 */
export function tenantLiterals(tenant: TenantRef, table?: string): { database: string; table?: string } {
  if (!isCanonicalUuid(tenant.databaseId)) throw new Error(`not a canonical database id: ${tenant.databaseId}`);
  if (table !== undefined && !tableNameSchema.safeParse(table).success)
    throw new Error(`not a table name: ${table.slice(0, 64)}`);
  return { database: `'${tenant.databaseId}'::uuid`, ...(table === undefined ? {} : { table: `'${table}'` }) };
}
