import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Cluster, Redis } from 'ioredis';
import { migrate } from '#persistence';
import { newRedisClient, primaries } from '#queues';
import { freshRemoteDatabase, serviceUrl } from './databases.js';
import { SERVICE_ENV, serviceArgs, type Service } from './service-command.js';
import { freePort } from './services.js';
import type { Credentials } from '../../apps/agent/src/config.js';

// From dist/scripts/lib (compiled) or scripts/lib (tests): the repository root holds dist/.
const root = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../..' : '../..', import.meta.url));

export interface Stack {
  apiUrl: string;
  /** Process ids of the API (first) and the workers. */
  pids: number[];
  adminToken: string;
  /** The scrape credential of `/metrics` on the API and on each worker's ops port. */
  metricsToken: string;
  /** Each worker's ops port (`/health`, `/metrics`). */
  workerOpsUrls: string[];
  databaseUrl: string;
  /** The settings the API and workers run with (queue prefix, signing key, …). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * The real thing from the compiled output: a migrated database, the API and N worker processes, on a private queue
 * prefix.
 */
export async function startStack(
  label: string,
  workers = 2,
  options: {
    output?: 'ignore' | 'inherit';
    env?: Record<string, string>;
    /** Settings of the nth worker alone (WORKER_QUEUES, say). */
    workerEnv?: (n: number) => Record<string, string>;
    /** A database of the caller's, migrated here (a Citus coordinator's): left in place at stop. */
    database?: string;
  } = {},
): Promise<Stack> {
  const db = options.database
    ? { url: options.database, drop: async () => undefined }
    : await freshRemoteDatabase(label);
  if (options.database) await migrate(options.database);
  const port = await freePort();
  const adminToken = randomBytes(24).toString('hex');
  const metricsToken = randomBytes(24).toString('hex');
  const env = {
    ...process.env,
    ...SERVICE_ENV,
    DATABASE_URL: await serviceUrl(db.url),
    QUEUE_PREFIX: `{rowferry-test-${randomBytes(4).toString('hex')}}`,
    ADMIN_TOKEN: adminToken,
    METRICS_TOKEN: metricsToken,
    JOB_SIGNING_KEY: randomBytes(32).toString('hex'),
    PORT: String(port),
    ...options.env,
  };
  const procs: ChildProcess[] = [];
  const start = (service: Service, own: Record<string, string> = {}) => {
    // STACK_NODE_ARGS passes flags to the services' Node.js, to profile them (docs/benchmarks.md).
    const nodeArgs = process.env.STACK_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const p = spawn(process.execPath, [...nodeArgs, ...serviceArgs(root, service)], {
      env: { ...env, ...own },
      stdio: ['ignore', options.output ?? 'ignore', 'inherit'],
    });
    procs.push(p);
  };
  start('api');
  const workerOpsUrls: string[] = [];
  for (let i = 0; i < workers; i++) {
    const opsPort = await freePort();
    workerOpsUrls.push(`http://127.0.0.1:${opsPort}`);
    start('worker', { ...options.workerEnv?.(i), OPS_PORT: String(opsPort) });
  }
  const apiUrl = `http://127.0.0.1:${port}`;
  await Promise.all([apiUrl, ...workerOpsUrls].map(waitForHealth));
  return {
    apiUrl,
    pids: procs.map((p) => p.pid!),
    adminToken,
    metricsToken,
    workerOpsUrls,
    databaseUrl: db.url,
    env: env as Record<string, string>,
    stop: async () => {
      await Promise.all(
        procs.map(
          (p) =>
            new Promise((r) =>
              p.exitCode !== null || p.signalCode !== null ? r(null) : (p.once('exit', r), p.kill('SIGTERM')),
            ),
        ),
      );
      await db.drop();
      await dropQueueKeys(env);
    },
  };
}

/**
 * Removes this run's queues and pending sets from the Redis the stack used (every primary of a cluster: the prefix's
 * hash tag puts them all on one, in one slot), so repeated runs leave nothing behind. Given up after a few seconds:
 * a test's private Redis may be one this process cannot reach (TLS with a CA only the services were given), and it
 * goes with the test anyway.
 */
async function dropQueueKeys(env: NodeJS.ProcessEnv): Promise<void> {
  const client = newRedisClient(env);
  client.on('error', () => undefined); // reported by the give-up below, not as an unhandled event
  const drop = async () => {
    for (const redis of client.isCluster ? await primaries(client as Cluster) : [client as Redis]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${env.QUEUE_PREFIX}:*`, 'COUNT', 1000);
        if (keys.length) await redis.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([drop(), new Promise((r) => (timer = setTimeout(r, 5000)))]);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

async function waitForHealth(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`the service at ${url} did not become healthy in 30 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Creates a customer and registers one database for it, as an admin and then an agent would. */
export async function enrollDatabase(stack: Stack, name: string): Promise<Credentials> {
  const post = async <T>(path: string, token: string, body: unknown): Promise<T> => {
    const res = await fetch(`${stack.apiUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const customer = await post<{ customerId: string; enrollmentKey: string }>('/v1/admin/customers', stack.adminToken, {
    name,
  });
  return post(`/v1/customers/${customer.customerId}/databases`, customer.enrollmentKey, { name: `${name}-db` });
}
