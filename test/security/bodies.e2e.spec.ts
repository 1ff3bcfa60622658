import { readdirSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { startStack, type Stack } from '../../scripts/lib/stack.js';
import { enroll, tenantPath, type Tenant } from './support.js';

/**
 * Sends a large body without waiting for it to be wanted, as an attacker would: the answer, or "reset" when the
 * server closed the connection before the body was all sent.
 */
function flood(
  stack: Stack,
  path: string,
  bytes: number,
  headers: Record<string, string> = {},
  chunked = false,
): Promise<number | 'reset'> {
  const url = new URL(stack.apiUrl);
  return new Promise((resolve) => {
    const req = request({
      host: url.hostname,
      port: url.port,
      path,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(chunked ? {} : { 'content-length': String(bytes) }),
        ...headers,
      },
    });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', () => !answered && resolve('reset'));
    const chunk = Buffer.alloc(1 << 20, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < bytes && !answered && !req.destroyed) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

/** Asks the URL every 20 ms and prints each answer's time in ms, one a line, until killed. */
const PROBE = `
const url = process.argv[1];
for (;;) {
  const started = performance.now();
  await fetch(url);
  process.stdout.write((performance.now() - started) + '\\n');
  await new Promise((r) => setTimeout(r, 20));
}`;

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

describe('large bodies cost nothing until their sender is authenticated', () => {
  let stack: Stack;
  let t: Tenant;
  beforeAll(async () => {
    stack = await startStack('bodies', 0);
    t = await enroll(stack, 'bodies');
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('eight unauthenticated 32 MB uploads: refused unread, the API stays under 300 MB and /health answers within 100 ms', async () => {
    const api = stack.pids[0];
    const upload = `${tenantPath(t)}/tables/items`;
    let peak = rssMb(api);
    // /health is timed from a process of its own: this one is busy pumping the attack, and its own event loop's delay
    // must not be counted against the API's.
    const prober = spawn(process.execPath, ['--input-type=module', '-e', PROBE, `${stack.apiUrl}/health`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let probed = '';
    prober.stdout.on('data', (d: Buffer) => (probed += d.toString()));
    // The prober's first fetches are slow of their own (a cold process loading its HTTP client: 40-60 ms here, twice
    // that on a loaded machine): wait for three before the attack starts, and count only what was asked after.
    while (probed.split('\n').length <= 3) await new Promise((r) => prober.stdout.once('data', r));
    probed = '';
    let attacking = true;
    const watch = (async () => {
      while (attacking) {
        peak = Math.max(peak, rssMb(api));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const rounds = [];
    for (let round = 0; round < 3; round++)
      rounds.push(
        ...(await Promise.all([
          ...Array.from({ length: 4 }, () => flood(stack, upload, 32 * 1024 * 1024)),
          ...Array.from({ length: 2 }, () =>
            flood(stack, upload, 32 * 1024 * 1024, { authorization: 'Bearer rfs_wrong' }),
          ),
          ...Array.from({ length: 2 }, () => flood(stack, upload, 32 * 1024 * 1024, {}, true)),
        ])),
      );
    attacking = false;
    await watch;
    prober.kill();
    await new Promise((r) => prober.once('close', r));
    const health = probed.trim().split('\n').filter(Boolean).map(Number);
    // Refused before the body was read: the answer, or a reset when the refusal closed the connection mid-send.
    expect(rounds.every((r) => r === 401 || r === 403 || r === 'reset')).toBe(true);
    expect(rounds.filter((r) => r !== 'reset').length).toBeGreaterThan(0);
    expect(peak).toBeLessThan(300);
    expect(health.length).toBeGreaterThan(0);
    expect(Math.max(...health)).toBeLessThan(100);
  });

  it("bodies are parsed on an intake thread that yields the API's cores to its event loop (INTAKE_NICE)", () => {
    const api = stack.pids[0];
    // A thread's nice value: the 19th field of its stat line (Linux gives each thread its own).
    const niceOf = (tid: string) =>
      Number(readFileSync(`/proc/${api}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')[16]);
    expect(niceOf(String(api))).toBe(0); // the event loop's thread
    const niced = readdirSync(`/proc/${api}/task`).filter((tid) => niceOf(tid) === 10);
    expect(niced).toHaveLength(1); // the one intake thread, at the default
  });

  it('a small route refuses a large declared body before reading it, and a large chunked one at its limit', async () => {
    expect([413, 'reset']).toContain(
      await flood(stack, `${tenantPath(t)}/markers`, 32 * 1024 * 1024, { authorization: `Bearer ${t.secret}` }),
    );
    expect([413, 'reset']).toContain(
      await flood(stack, `${tenantPath(t)}/markers`, 4 * 1024 * 1024, { authorization: `Bearer ${t.secret}` }, true),
    );
    const small = await fetch(`${stack.apiUrl}${tenantPath(t)}/markers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.secret}` },
      body: '{"id":"x"}',
    });
    expect(small.status).toBe(400); // read and validated: the route works
  });
});
