import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ensureServices } from '../lib/services.js';

/**
 * Runs a scenario with PostgreSQL, Redis and MariaDB up (started privately if they are not), stopping what it started.
 */
export async function withServices(scenario: () => Promise<void>): Promise<void> {
  const services = await ensureServices();
  Object.assign(process.env, services.env);
  try {
    await scenario();
  } finally {
    await services.stop();
  }
}

/** Rows of a typical business table: integer key, text, integer, float, a nullable note. */
export function makeTable(path: string, rows: number): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE bench_rows (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER, price REAL, note TEXT)');
  const insert = db.prepare('INSERT INTO bench_rows VALUES (?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= rows; i++) insert.run(i, `customer name ${i}`, i % 1000, i / 100, i % 3 ? null : `note ${i}`);
  })();
  db.close();
}

export const round = (x: number) => Math.round(x * 1000) / 1000;

/**
 * A process's CPU seconds so far (user and system), with those of its children that ended (PostgreSQL's backends that
 * closed, counted by the postmaster); 0 once it has ended.
 */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime + stime + cutime + cstime, in clock ticks of 1/100 s
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return 0; // the process ended between listing and reading
  }
}

/** CPU seconds so far of every running process of one program (all of PostgreSQL's backends, say). */
export function cpuSecondsOf(program: string): number {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/comm`, 'utf8').trim() === program;
      } catch {
        return false;
      }
    })
    .reduce((sum, d) => sum + cpuSeconds(Number(d)), 0);
}

export interface AgentProcess {
  /** Its process, to measure its CPU and memory by. */
  pid: number;
  /** Runs its one pass: the 429s the API answered it, and its table's error if the pass failed. */
  pass(): Promise<{ refusals: number; failed: unknown }>;
}

/**
 * An agent in its own process (agent-process.ts), as on a customer's machine, from its config file, made ready
 * (tracking installed, tables registered). `nice` lowers its CPU priority (`nice -n`, which runs node in its place).
 */
export async function agentProcess(config: string, nice = 0): Promise<AgentProcess> {
  const script = fileURLToPath(new URL('./agent-process.js', import.meta.url));
  // AGENT_NODE_ARGS: flags for the agent's Node.js (a heap limit, a profiler), as STACK_NODE_ARGS for the services.
  const nodeArgs = process.env.AGENT_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const command = [process.execPath, ...nodeArgs, script, config];
  const child = spawn(nice ? 'nice' : command[0], nice ? ['-n', String(nice), ...command] : command.slice(1), {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  if ((await lines.next()).value !== 'ready') throw new Error(`the agent of ${config} did not get ready`);
  return {
    pid: child.pid!,
    pass: async () => {
      child.stdin.write('go\n');
      return JSON.parse((await lines.next()).value as string) as { refusals: number; failed: unknown };
    },
  };
}

/** CPU seconds so far of this process's children that ended (user and system). */
export function childCpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}
