/**
 * The one way an identifier enters SQL in PostgreSQL and SQLite (agent and server alike): double-quoted, inner quotes
 * doubled. An empty name or one holding NUL is refused: no quoting makes it safe.
 */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\0')) throw new Error(`not a usable SQL identifier: ${JSON.stringify(name)}`);
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * A uuid as PostgreSQL prints it (lower case): the form tenant ids take once authenticated, and the only one a
 * statement may have written into it (TenantScope.readOnce).
 */
export function isCanonicalUuid(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id);
}
