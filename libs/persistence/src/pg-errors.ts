/**
 * Whether a PostgreSQL error is about the data (retrying cannot help) or about the moment (it may).
 * SQLSTATE classes: 21 cardinality, 22 data exception, 23 integrity, 42 syntax or undefined object.
 */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^(21|22|23|42)/.test(code);
}

/** One line that says what PostgreSQL refused and where, for job failures and quarantine. */
export function describePgError(err: unknown): string {
  const e = err as { message?: string; code?: string; column?: string; detail?: string; where?: string };
  const parts = [e.message ?? String(err)];
  if (e.code) parts.push(`SQLSTATE ${e.code}`);
  if (e.column) parts.push(`column ${e.column}`);
  if (e.detail) parts.push(e.detail);
  return parts.join('; ');
}
