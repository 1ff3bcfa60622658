import pg from 'pg';

/** The provider token of the services' pg pool (NestJS injection). */
export const PG_POOL = Symbol('PG_POOL');

/**
 * A pg pool that outlives its server. A connection killed by a PostgreSQL restart emits an error, idle or checked
 * out (between two statements of a job), that would otherwise end the process. It is reported; the statement under
 * way fails with it, the dead connection is dropped when released, and the next query opens a fresh one.
 */
export function resilientPool(config: pg.PoolConfig, report: (err: Error) => void): pg.Pool {
  const pool = new pg.Pool(config);
  pool.on('connect', (client) => client.on('error', report));
  pool.on('error', () => undefined); // an idle connection's error, already reported by its own listener
  return pool;
}
