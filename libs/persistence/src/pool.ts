import pg, { type Pool, type PoolClient } from 'pg';

/**
 * A pg pool that outlives its server: an idle connection killed by a PostgreSQL restart emits an error that would
 * otherwise end the process. It is reported, and the next query opens a fresh connection.
 */
export function resilientPool(config: pg.PoolConfig, report: (err: Error) => void): pg.Pool {
  const pool = new pg.Pool(config);
  pool.on('error', report);
  return pool;
}

/**
 * Runs `work` on a connection checked out of the pool. A connection that dies while checked out (a server restart
 * between two statements) emits an error that would otherwise end the process: it is kept, the next statement
 * fails with it, and the connection is discarded instead of going back to the pool.
 */
export async function withClient<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (err: Error) => (lost = err);
  client.on('error', onError);
  try {
    return await work(client);
  } finally {
    client.off('error', onError);
    client.release(lost);
  }
}
