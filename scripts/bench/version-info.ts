import autocannon from 'autocannon';
import { Command } from 'commander';
import { enrollDatabase, startStack, type Stack } from '../lib/stack.js';
import { cpuSeconds, cpuSecondsOf, round, withServices } from './support.js';

/**
 * autocannon against one URL: requests a second and latency percentiles (ms), non-2xx answers counted apart, and
 * the CPU milliseconds each request cost each part (autocannon is this process), to see where a request's time goes.
 */
async function load(stack: Stack, url: string, headers: Record<string, string>, connections: number, seconds: number) {
  const cpu = () => {
    const own = process.cpuUsage();
    return {
      api: cpuSeconds(stack.pids[0]),
      postgres: cpuSecondsOf('postgres'),
      redis: cpuSecondsOf('redis-server'),
      autocannon: (own.user + own.system) / 1e6,
    };
  };
  const before = cpu();
  const r = await autocannon({ url, headers, connections, duration: seconds });
  const after = cpu();
  const requests = r.requests.total;
  return {
    requests_per_s: Math.round(r.requests.average),
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    ok: r['2xx'],
    other: r.non2xx + r.errors + r.timeouts,
    cpu_ms_per_request: Object.fromEntries(
      Object.entries(after).map(([k, v]) => [k, round(((v - before[k as keyof typeof before]) * 1000) / requests)]),
    ),
  };
}

/** A database with `tables` registered tables, and its version-info URL and headers. */
async function databaseWithTables(stack: Stack, tables: number) {
  const creds = await enrollDatabase(stack, `version-info-${tables}`);
  const base = `${stack.apiUrl}/v1/customers/${creds.customerId}/databases/${creds.databaseId}/tables`;
  const headers = { authorization: `Bearer ${creds.secret}`, 'content-type': 'application/json' };
  for (let i = 0; i < tables; i++) {
    const res = await fetch(`${base}/table_${i}`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({
        columns: [
          { name: 'id', type: 'bigint' },
          { name: 'name', type: 'text' },
        ],
        key: ['id'],
      }),
    });
    if (!res.ok) throw new Error(`registering table_${i}: ${res.status} ${await res.text()}`);
  }
  return { url: base, headers: { authorization: headers.authorization } };
}

/**
 * `npm run bench -- version-info`: autocannon against `GET …/tables` (the call every agent pass starts with) for a
 * database with 2 and with 50 tables, and against the same server's 401 answer (the route refused before any work),
 * in one run: the framework's own speed is the reference.
 */
export const versionInfo = new Command('version-info')
  .description("GET …/tables under load, against the same server's 401 route")
  .option('--connections <n>', 'concurrent connections', (v) => Number(v), 50)
  .option('--seconds <n>', 'seconds per measurement', (v) => Number(v), 10)
  .action((o) =>
    withServices(async () => {
      const stack = await startStack('version_info', 1);
      try {
        const small = await databaseWithTables(stack, 2);
        const large = await databaseWithTables(stack, 50);
        const refused = await load(stack, small.url, {}, o.connections, o.seconds);
        const two = await load(stack, small.url, small.headers, o.connections, o.seconds);
        const fifty = await load(stack, large.url, large.headers, o.connections, o.seconds);
        console.log(
          `RESULT ${JSON.stringify({
            scenario: 'version-info',
            connections: o.connections,
            unauthenticated_401: refused,
            tables_2: two,
            tables_50: fifty,
            tables_50_vs_401: round(fifty.requests_per_s / refused.requests_per_s),
          })}`,
        );
      } finally {
        await stack.stop();
      }
    }),
  );
