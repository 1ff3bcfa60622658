import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, idOf, onPath, postgresBinDir, waitUntilReachable } from '../services.js';

/**
 * A server the chaos run owns: started from the system binaries on a free loopback port, in a folder of its own,
 * so it can be killed and restarted without touching the machine's shared services.
 */
export class PrivateServer {
  private proc: ChildProcess | undefined;

  private constructor(
    readonly name: string,
    readonly port: number,
    readonly dir: string,
    private readonly command: string,
    private readonly args: string[],
    private readonly user: { uid?: number; gid?: number },
  ) {}

  static async postgres(): Promise<PrivateServer> {
    const bin = postgresBinDir();
    if (!bin) throw new Error('the chaos run needs PostgreSQL binaries (apt-get install postgresql)');
    const dir = mkdtempSync(join(tmpdir(), 'rowferry-chaos-pg-'));
    const user = userInfo().uid === 0 ? { uid: idOf('-u'), gid: idOf('-g') } : {};
    if (user.uid !== undefined) chownSync(dir, user.uid, user.gid!);
    const init = spawnSync(
      join(bin, 'initdb'),
      ['-D', join(dir, 'data'), '-U', 'postgres', '-A', 'trust', '--no-sync'],
      { encoding: 'utf8', cwd: dir, ...user },
    );
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
    const port = await freePort();
    const args = [
      '-D',
      join(dir, 'data'),
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'max_connections=200',
    ];
    return new PrivateServer('PostgreSQL', port, dir, join(bin, 'postgres'), args, user).start();
  }

  static async redis(): Promise<PrivateServer> {
    const bin = onPath('redis-server');
    if (!bin) throw new Error('the chaos run needs redis-server (apt-get install redis-server)');
    const dir = mkdtempSync(join(tmpdir(), 'rowferry-chaos-redis-'));
    const port = await freePort();
    // Nothing kept on disk: a restart loses every job, which is one of the faults.
    return new PrivateServer(
      'Redis',
      port,
      dir,
      bin,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      {},
    ).start();
  }

  static async mariadb(): Promise<PrivateServer> {
    const install = onPath('mariadb-install-db');
    const daemon = onPath('mariadbd') ?? '/usr/sbin/mariadbd';
    if (!install) throw new Error('the chaos run needs MariaDB (apt-get install mariadb-server)');
    const dir = mkdtempSync(join(tmpdir(), 'rowferry-chaos-maria-'));
    const data = join(dir, 'data');
    mkdirSync(data);
    const asUser = userInfo().uid === 0 ? ['--user=root'] : [];
    const init = spawnSync(
      install,
      ['--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...asUser],
      { encoding: 'utf8' },
    );
    if (init.status !== 0) throw new Error(`mariadb-install-db failed: ${init.stderr || init.stdout}`);
    const port = await freePort();
    const args = [
      '--no-defaults',
      `--datadir=${data}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${join(dir, 'mysqld.sock')}`,
      `--pid-file=${join(dir, 'mysqld.pid')}`,
      '--skip-name-resolve',
      '--innodb-flush-log-at-trx-commit=2',
      ...asUser,
    ];
    return new PrivateServer('MariaDB', port, dir, daemon, args, {}).start();
  }

  /** In a process group of its own, so a crash can take every process of the server at once, as a power cut does. */
  async start(): Promise<this> {
    this.proc = spawn(this.command, this.args, { stdio: 'ignore', cwd: this.dir, detached: true, ...this.user });
    await waitUntilReachable(this.name, this.port);
    return this;
  }

  /** SIGINT: a clean, fast shutdown; SIGKILL: a crash of the whole server (PostgreSQL's backends included). */
  async stop(signal: 'SIGINT' | 'SIGKILL' = 'SIGINT'): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    if (signal === 'SIGKILL') process.kill(-p.pid!, 'SIGKILL');
    else p.kill(this.name === 'MariaDB' ? 'SIGTERM' : signal);
    await exited;
    // Backends left behind hold the old shared memory and keep a new postmaster from starting.
    if (signal === 'SIGKILL') await new Promise((r) => setTimeout(r, 200));
  }

  async restart(signal: 'SIGINT' | 'SIGKILL' = 'SIGINT'): Promise<void> {
    await this.stop(signal);
    await this.start();
  }

  async destroy(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
