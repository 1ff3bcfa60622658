import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onPath, waitUntilReachable } from './services.js';

export interface RedisClusterProcesses {
  /** The nodes as REDIS_CLUSTER_NODES lists them. */
  nodes: string;
  ports: number[];
  stop(): Promise<void>;
}

/**
 * A private Redis Cluster of `size` primaries on loopback, from the system's redis-server and redis-cli (never the
 * shared Redis); undefined when they are not installed. Each node also needs its port + 10,000 free (the cluster bus).
 */
export async function startRedisCluster(size = 3): Promise<RedisClusterProcesses | undefined> {
  const server = onPath('redis-server');
  const cli = onPath('redis-cli');
  if (!server || !cli) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'rowferry-redis-cluster-'));
  const ports: number[] = [];
  while (ports.length < size) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    if (!ports.includes(port) && (await free(port)) && (await free(port + 10_000))) ports.push(port);
  }
  const procs: ChildProcess[] = ports.map((port) =>
    spawn(
      server,
      [
        ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
        ...[
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--cluster-node-timeout',
          '5000',
        ],
      ],
      { stdio: 'ignore' },
    ),
  );
  const stop = async () => {
    await Promise.all(
      procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : (p.once('exit', r), p.kill('SIGTERM'))))),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) await waitUntilReachable('Redis Cluster node', port);
    const created = spawnSync(
      cli,
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    // Every node must agree before clients connect: slots assigned and the state ok.
    for (const deadline = Date.now() + 20_000; ;) {
      const states = ports.map(
        (p) => spawnSync(cli, ['-p', String(p), 'cluster', 'info'], { encoding: 'utf8' }).stdout ?? '',
      );
      if (states.every((s) => /cluster_state:ok/.test(s))) break;
      if (Date.now() > deadline) throw new Error(`the Redis Cluster did not become ok: ${states.join(' | ')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes: ports.map((p) => `127.0.0.1:${p}`).join(','), ports, stop };
}

function free(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}
