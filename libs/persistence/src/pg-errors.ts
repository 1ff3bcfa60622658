/**
 * How a PostgreSQL error should be handled:
 * - `row-data`: some row's content was refused (SQLSTATE classes 21 cardinality, 22 data exception,
 *   23 integrity; 54000 a key too large to index, 54001 a JSON value nested too deep): isolate the rows and
 *   quarantine the bad ones;
 * - `over-budget`: the statement ran past its statement timeout (57014): it would again, so fail the job at once;
 * - `transient`: a fault that passes (no SQLSTATE: the connection broke under the client; class 08 connection, 40
 *   deadlock or serialization failure, 53 out of resources, 55P03 a lock not free, 57P01–57P03 a server shutting down
 *   or starting, 58 an I/O error): retry with backoff;
 * - `refused`: anything else, the statement itself cannot run (class 42 a missing column or no privilege, 0A000 a
 *   feature Citus does not support, …): it would be refused again, so fail the job at once with PostgreSQL's words.
 */
export type PgErrorClass = 'row-data' | 'over-budget' | 'transient' | 'refused';

export function classifyPgError(err: unknown): PgErrorClass {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return 'transient';
  if (/^(21|22|23)/.test(code) || code === '54000' || code === '54001') return 'row-data';
  if (code === '57014') return 'over-budget';
  if (/^(08|40|53|58)/.test(code) || /^57P0[123]$/.test(code) || code === '55P03') return 'transient';
  return 'refused';
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
