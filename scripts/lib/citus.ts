import { existsSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { postgresBinDir, startPostgres } from './services.js';

export interface CitusCluster {
  /** The coordinator's database, as the superuser (migrations run as it). */
  url: string;
  ports: number[];
  stop(): Promise<void>;
}

/** Whether the Citus extension is installed for the system's PostgreSQL (tools/citus/build.sh installs it). */
export function citusInstalled(): boolean {
  const bin = postgresBinDir();
  // The binaries may be links on the PATH: the library directory is beside the real ones.
  return !!bin && existsSync(join(realpathSync(join(bin, 'postgres')), '..', '..', 'lib', 'citus.so'));
}

/**
 * A private Citus cluster on loopback: a coordinator and `workers` worker nodes, each a PostgreSQL started from the
 * system's binaries with Citus preloaded (never the shared server), and database `name` with the extension on every
 * node and the workers added to the coordinator.
 */
export async function startCitusCluster(name: string, workers = 2): Promise<CitusCluster> {
  if (!citusInstalled()) throw new Error('Citus is not installed: run tools/citus/build.sh (1–3 minutes) first');
  // Loopback only: the nodes talk to each other without TLS.
  const settings = [
    ...['shared_preload_libraries=citus', 'max_prepared_transactions=100', 'max_connections=200'],
    'citus.node_conninfo=sslmode=disable',
  ];
  const nodes: NonNullable<Awaited<ReturnType<typeof startPostgres>>>[] = [];
  const stop = async () => {
    await Promise.all(
      nodes.map(
        (n) =>
          new Promise((r) => (n.proc.exitCode !== null ? r(null) : (n.proc.once('exit', r), n.proc.kill('SIGINT')))),
      ),
    );
    for (const n of nodes) rmSync(n.dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i <= workers; i++) {
      const node = await startPostgres(settings);
      if (!node) throw new Error('no PostgreSQL binaries to start a Citus node with');
      nodes.push(node);
    }
    const url = (port: number, db: string) => `postgres://postgres@127.0.0.1:${port}/${db}`;
    const run = async (port: number, db: string, sql: string[]) => {
      const c = new pg.Client({ connectionString: url(port, db) });
      await c.connect();
      try {
        for (const statement of sql) await c.query(statement);
      } finally {
        await c.end();
      }
    };
    for (const n of nodes) {
      await run(n.port, 'postgres', [`CREATE DATABASE "${name}"`]);
      await run(n.port, name, ['CREATE EXTENSION citus']);
    }
    const [coordinator, ...rest] = nodes;
    await run(coordinator.port, name, [
      `SELECT citus_set_coordinator_host('127.0.0.1', ${coordinator.port})`,
      ...rest.map((w) => `SELECT citus_add_node('127.0.0.1', ${w.port})`),
    ]);
    return { url: url(coordinator.port, name), ports: nodes.map((n) => n.port), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
