import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

/**
 * The processes of a chaos run (API, workers, agents), each restarted when it exits, as a supervisor (systemd,
 * Docker's restart policy) would. Exits the run did not cause are counted: each one is a crash worth reading in its
 * log.
 */
export class Supervised {
  private proc: ChildProcess | undefined;
  private expectingExit = false;
  private stopped = false;
  crashes = 0;
  restarts = 0;
  private readonly log: WriteStream;

  constructor(
    readonly name: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
    logPath: string,
  ) {
    this.log = createWriteStream(logPath, { flags: 'a' });
  }

  start(): void {
    this.expectingExit = false;
    const p = spawn(process.execPath, this.args, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.pipe(this.log, { end: false });
    p.stderr!.pipe(this.log, { end: false });
    p.once('exit', (code, signal) => {
      this.log.write(`--- ${this.name} exited (${signal ?? code})\n`);
      if (this.stopped) return;
      if (!this.expectingExit) this.crashes++;
      this.restarts++;
      setTimeout(() => !this.stopped && this.proc === p && this.start(), this.expectingExit ? 0 : 500);
    });
    this.proc = p;
  }

  /** A fault: the process dies (SIGKILL) or is asked to stop (SIGTERM); either way it is started again. */
  kill(signal: 'SIGKILL' | 'SIGTERM'): void {
    this.expectingExit = true;
    this.proc?.kill(signal);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const p = this.proc;
    if (p && p.exitCode === null && p.signalCode === null) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      const timer = setTimeout(() => p.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    this.log.end();
  }
}
