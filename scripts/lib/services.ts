import { createConnection } from 'node:net';

/**
 * Checks that PostgreSQL and Redis answer where DATABASE_URL and REDIS_URL (or the defaults) say. When one does
 * not, fails with one message saying how to get it.
 */
export async function requireServices(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const pgUrl = new URL(env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/rowferry');
  const redisUrl = new URL(env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const missing: string[] = [];
  if (!(await reachable(pgUrl.hostname, Number(pgUrl.port || 5432)))) missing.push(`PostgreSQL at ${pgUrl.host}`);
  if (!(await reachable(redisUrl.hostname, Number(redisUrl.port || 6379)))) missing.push(`Redis at ${redisUrl.host}`);
  if (missing.length)
    throw new Error(
      `${missing.join(' and ')} not reachable. Start them (Debian: apt-get install postgresql redis-server), ` +
        `or run "docker compose up -d postgres redis", or point DATABASE_URL / REDIS_URL at yours.`,
    );
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port, timeout: 2000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}
