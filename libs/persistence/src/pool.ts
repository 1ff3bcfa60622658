import pg from 'pg';

/** The provider token of the services' pg pool (NestJS injection). */
export const PG_POOL = Symbol('PG_POOL');

/**
 * Every service session runs in UTC with ISO dates, whatever the server's own settings: a tenant's timestamp without a
 * time zone, stored in a column widened to timestamptz for another tenant, is written and read back as that moment in
 * UTC, and a date or timestamp in a column widened to text is written as PostgreSQL prints it in ISO and UTC
 * (docs/sources.md, Fleets).
 */
const SESSION_SETTINGS = '-c TimeZone=UTC -c DateStyle=ISO,YMD';

/**
 * A pg pool that outlives its server. A connection killed by a PostgreSQL restart emits an error, idle or checked
 * out (between two statements of a job), that would otherwise end the process. It is reported; the statement under
 * way fails with it, the dead connection is dropped when released, and the next query opens a fresh one.
 */
export function resilientPool(config: pg.PoolConfig, report: (err: Error) => void): pg.Pool {
  const pool = new pg.Pool({ options: SESSION_SETTINGS, ...config });
  pool.on('connect', (client) => client.on('error', report));
  pool.on('error', () => undefined); // an idle connection's error, already reported by its own listener
  return pool;
}
