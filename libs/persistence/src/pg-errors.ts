/**
 * How a PostgreSQL error should be handled:
 * - `row-data`: some row's content was refused (SQLSTATE classes 21 cardinality, 22 data exception,
 *   23 integrity; 54000 a key too large to index, 54001 a JSON value nested too deep): isolate the rows and
 *   quarantine the bad ones;
 * - `schema`: the statement itself cannot run (class 42: missing column or table, no privilege): fail the job,
 *   to be retried once the schema is fixed;
 * - `over-budget`: the statement ran past its statement timeout (57014): it would again, so fail the job at once;
 * - `transient`: anything else (connection lost, deadlock, timeout): retry with backoff.
 */
export type PgErrorClass = 'row-data' | 'schema' | 'over-budget' | 'transient';

export function classifyPgError(err: unknown): PgErrorClass {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string') return 'transient';
  if (/^(21|22|23)/.test(code) || code === '54000' || code === '54001') return 'row-data';
  if (code.startsWith('42')) return 'schema';
  if (code === '57014') return 'over-budget';
  return 'transient';
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
