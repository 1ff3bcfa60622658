import pg from 'pg';

/**
 * A pg pool that outlives its server: an idle connection killed by a PostgreSQL restart emits an error that would
 * otherwise end the process. It is reported, and the next query opens a fresh connection.
 */
export function resilientPool(config: pg.PoolConfig, report: (err: Error) => void): pg.Pool {
  const pool = new pg.Pool(config);
  pool.on('error', report);
  return pool;
}
