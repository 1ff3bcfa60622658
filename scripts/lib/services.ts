import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export interface Services {
  /** DATABASE_URL and REDIS_URL to use: the given ones, or those of private instances started here. */
  env: { DATABASE_URL: string; REDIS_URL: string };
  /** Stops the private instances (if any) and removes their folders. */
  stop(): Promise<void>;
}

/**
 * Makes sure PostgreSQL and Redis answer. Where DATABASE_URL / REDIS_URL (or the defaults) do not, and the server
 * binaries are installed, starts private throwaway instances on free loopback ports in a temporary folder; where
 * neither is possible, fails with one message saying how to get them.
 */
export async function ensureServices(given: NodeJS.ProcessEnv = process.env): Promise<Services> {
  const env = {
    DATABASE_URL: given.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/rowferry',
    REDIS_URL: given.REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
  const started: { proc: ChildProcess; dir: string }[] = [];
  const stop = async () => {
    for (const s of started.reverse()) {
      if (s.proc.exitCode === null && s.proc.signalCode === null) {
        const exited = new Promise((r) => s.proc.once('exit', r));
        s.proc.kill('SIGINT'); // PostgreSQL: fast shutdown; Redis: shutdown
        await exited;
      }
      rmSync(s.dir, { recursive: true, force: true });
    }
  };
  const missing: string[] = [];
  try {
    const pgUrl = new URL(env.DATABASE_URL);
    if (!(await reachable(pgUrl.hostname, Number(pgUrl.port || 5432)))) {
      const pg = await startPostgres();
      if (pg) {
        started.push(pg);
        pgUrl.host = `127.0.0.1:${pg.port}`;
        pgUrl.username = 'postgres';
        pgUrl.password = '';
        env.DATABASE_URL = pgUrl.toString();
      } else missing.push(`PostgreSQL at ${pgUrl.host}`);
    }
    const redisUrl = new URL(env.REDIS_URL);
    if (!(await reachable(redisUrl.hostname, Number(redisUrl.port || 6379)))) {
      const redis = await startRedis();
      if (redis) {
        started.push(redis);
        env.REDIS_URL = `redis://127.0.0.1:${redis.port}`;
      } else missing.push(`Redis at ${redisUrl.host}`);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  if (missing.length) {
    await stop();
    throw new Error(
      `${missing.join(' and ')} not reachable, and no server binary to start a private one. Install them ` +
        `(Debian: apt-get install postgresql redis-server), or run "docker compose up -d postgres redis", ` +
        `or point DATABASE_URL / REDIS_URL at yours.`,
    );
  }
  return { env, stop };
}

/** A private PostgreSQL on a free loopback port, trust authentication; `settings` are more `-c name=value` pairs. */
export async function startPostgres(
  settings: string[] = [],
): Promise<{ proc: ChildProcess; dir: string; port: number } | undefined> {
  const bin = postgresBinDir();
  if (!bin) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'rowferry-pg-'));
  // PostgreSQL refuses to run as root: run it as the "postgres" user when we are root.
  const user = userInfo().uid === 0 ? { uid: idOf('-u'), gid: idOf('-g') } : {};
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid!);
  const init = spawnSync(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-U', 'postgres', '-A', 'trust', '--no-sync'], {
    encoding: 'utf8',
    cwd: dir,
    ...user,
  });
  if (init.status !== 0)
    throw new Error(
      `initdb for a private PostgreSQL failed: ${init.error?.message ?? ''}${init.stderr || init.stdout}`,
    );
  const port = await freePort();
  const config = ['listen_addresses=127.0.0.1', 'fsync=off', ...settings];
  const proc = spawn(
    join(bin, 'postgres'),
    ['-D', join(dir, 'data'), '-p', String(port), '-k', dir, ...config.flatMap((setting) => ['-c', setting])],
    {
      stdio: 'ignore',
      cwd: dir,
      ...user,
    },
  );
  await waitUntilReachable('PostgreSQL', port);
  return { proc, dir, port };
}

/** A private Redis on a free loopback port (tests that break Redis use one, never the shared one). */
/** A throwaway Redis on a free port; `settings(port, dir)` may add configuration (TLS, ACL users, …). */
export async function startRedis(
  settings: (port: number, dir: string) => string[] = (port) => ['--port', String(port)],
): Promise<{ proc: ChildProcess; dir: string; port: number } | undefined> {
  const bin = onPath('redis-server');
  if (!bin) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'rowferry-redis-'));
  const port = await freePort();
  const proc = spawn(
    bin,
    [...settings(port, dir), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  await waitUntilReachable('Redis', port);
  return { proc, dir, port };
}

export function postgresBinDir(): string | undefined {
  const initdb = onPath('initdb');
  if (initdb && onPath('postgres')) return join(initdb, '..');
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort().reverse() : [];
  return versions.map((v) => `/usr/lib/postgresql/${v}/bin`).find((d) => existsSync(join(d, 'initdb')));
}

export function onPath(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The "postgres" system user's uid (-u) or gid (-g); Debian's postgresql packages create it. */
export function idOf(flag: '-u' | '-g'): number {
  const r = spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('PostgreSQL cannot run as root and there is no "postgres" user to run it as');
  return Number(r.stdout.trim());
}

export async function waitUntilReachable(what: string, port: number): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (await reachable('127.0.0.1', port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`private ${what} on port ${port} did not start within 15 s`);
}

export function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port, timeout: 2000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}
