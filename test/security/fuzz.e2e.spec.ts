import { Queue } from 'bullmq';
import { QUEUE_NAMES } from '#contracts';
import { redisConnection } from '#queues';
import { Random } from '../../scripts/lib/chaos/random.js';
import { startStack, type Stack } from '../../scripts/lib/stack.js';
import { ADMIN_ROUTES, fill, TENANT_ROUTES, type Route } from './routes.js';
import { call, enroll, seedItems, snapshotOf, tenantPath, type Tenant } from './support.js';

const SEED = 20261126;
const REQUESTS = 2000;

/** Values that have broken parsers, casts and serialisers somewhere. */
const ODD_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  2 ** 53 + 1,
  1e308,
  -1e308,
  '',
  ' ',
  'NaN',
  'Infinity',
  '-0',
  '1e999999',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775809',
  '99999999999999999999999999',
  '0x10',
  '1_000',
  'x'.repeat(70_000),
  'nul\u0000inside',
  '\ud800',
  '名前',
  '"; DROP TABLE customers; --',
  '../../etc/passwd',
  '%00',
  {},
  [],
  [[]],
  { constructor: 1 },
  { __proto__: { polluted: true } },
  ['a', 1, null],
];
const ODD_IDS = [
  '',
  '..',
  '%2e%2e',
  '%00',
  'x'.repeat(300),
  '名前',
  '-1',
  '99999999999999999999',
  'constructor',
  '__proto__',
  'ctid',
  'rf$0123_p0',
  'a%2Fb',
  '00000000-0000-0000-0000-000000000000',
];
const ODD_NAMES = [
  'ctid',
  'xmin',
  '_rf_version',
  '_RF_database',
  'Id',
  'ID',
  'a'.repeat(64),
  'name"; drop',
  '',
  '1abc',
  'ok_name',
];

/** Nested arrays, kept shallow enough for the test's own JSON.stringify; deeper ones are sent as text. */
function deep(depth: number): unknown {
  return JSON.parse('['.repeat(depth) + ']'.repeat(depth));
}

/** One hostile request, made from a valid one by a few random mutations. */
function mutate(
  rnd: Random,
  route: Route,
  own: Tenant,
  other: Tenant,
  stack: Stack,
): { method: string; path: string; body: unknown; secret?: string } {
  const ids: Record<string, string> = {
    c: own.customerId,
    d: own.databaseId,
    job: `upload.${own.databaseId}.${own.databaseId}`,
    q: '1',
    m: own.databaseId,
  };
  for (const k of Object.keys(ids)) {
    if (rnd.chance(0.1)) ids[k] = rnd.pick(ODD_IDS);
    else if (rnd.chance(0.05)) ids[k] = ids[k].toUpperCase();
    // eslint-disable-next-line no-dupe-else-if -- each chance() is a fresh roll, not the same condition
    else if (rnd.chance(0.05) && (k === 'c' || k === 'd')) ids[k] = k === 'c' ? other.customerId : other.databaseId;
  }
  let path = fill(route.path, ids);
  if (rnd.chance(0.1)) path = path.replace('/items', `/${encodeURIComponent(rnd.pick(ODD_NAMES))}`);
  if (rnd.chance(0.05))
    path += rnd.pick([
      '?limit=0',
      '?limit=99999',
      '?before=-1',
      '?before=18446744073709551616',
      '?local=nope',
      '?table=ctid',
      '?limit=1e3',
    ]);
  let body: unknown = structuredClone(route.body ?? {});
  for (let i = rnd.int(0, 3); i > 0; i--) body = mutateValue(rnd, body, 0);
  if (rnd.chance(0.03)) body = '['.repeat(20_000) + ']'.repeat(20_000);
  if (rnd.chance(0.03)) body = rnd.pick(['{"rows": [', 'null', '"text"', '[]', '{"a":1}{', '\u0000']);
  const secret = rnd.chance(0.85)
    ? own.secret
    : rnd.pick([undefined, 'rfs_wrong', other.secret, stack.adminToken, 'x'.repeat(5000)]);
  const method = rnd.chance(0.05) ? rnd.pick(['GET', 'PUT', 'POST', 'DELETE', 'PATCH']) : route.method;
  return { method, path, body: method === 'GET' ? undefined : body, secret };
}

function mutateValue(rnd: Random, value: unknown, depth: number): unknown {
  if (depth > 6 || value === null || typeof value !== 'object' || rnd.chance(0.2)) {
    if (rnd.chance(0.1)) return deep(rnd.int(50, 2000));
    return structuredClone(rnd.pick(ODD_VALUES));
  }
  if (Array.isArray(value)) {
    if (value.length === 0 || rnd.chance(0.2)) return rnd.chance(0.5) ? [...value, rnd.pick(ODD_VALUES)] : [];
    const i = rnd.int(0, value.length - 1);
    const copy = [...value];
    copy[i] = mutateValue(rnd, copy[i], depth + 1);
    return rnd.chance(0.1) ? Array.from({ length: rnd.int(2, 300) }, () => copy[0]) : copy;
  }
  const obj = { ...(value as Record<string, unknown>) };
  const keys = Object.keys(obj);
  const roll = rnd.next();
  if (roll < 0.15 && keys.length) delete obj[rnd.pick(keys)];
  else if (roll < 0.25)
    obj[rnd.pick(['extra', 'name', 'type', 'length', 'mode', 'replace', 'range', 'timeline', ...ODD_NAMES])] =
      rnd.pick(ODD_VALUES);
  else if (keys.length) {
    const k = rnd.pick(keys);
    obj[k] = k === 'name' && rnd.chance(0.5) ? rnd.pick(ODD_NAMES) : mutateValue(rnd, obj[k], depth + 1);
  }
  return obj;
}

describe(`seeded fuzzer (${REQUESTS} requests, seed ${SEED})`, () => {
  let stack: Stack;
  let fuzzer: Tenant;
  let bystander: Tenant;

  beforeAll(async () => {
    stack = await startStack('fuzz', 2, { env: { LOG_LEVEL: 'fatal' } });
    fuzzer = await enroll(stack, 'fuzzer');
    bystander = await enroll(stack, 'bystander');
    await seedItems(stack, fuzzer, 20);
    await seedItems(stack, bystander, 20);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('no answer is a 5xx; the API and workers stay up; every job finishes; no other tenant changes', async () => {
    const before = await snapshotOf(stack, bystander.databaseId);
    const rnd = new Random(SEED);
    const routes = [
      ...TENANT_ROUTES,
      ...TENANT_ROUTES,
      ...ADMIN_ROUTES,
      { method: 'GET', path: '/health' },
      { method: 'POST', path: '/v1/customers/{c}/databases', body: { name: 'x' } },
    ];
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (let i = 0; i < REQUESTS; i += 8) {
      const batch = Array.from({ length: Math.min(8, REQUESTS - i) }, () =>
        mutate(rnd, rnd.pick(routes), fuzzer, bystander, stack),
      );
      const answers = await Promise.all(
        batch.map((req) => call(stack, req.method, req.path, { secret: req.secret, body: req.body })),
      );
      answers.forEach((a, j) => {
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        if (a.status >= 500)
          failures.push(
            `${a.status} ${batch[j].method} ${batch[j].path.slice(0, 200)} ${JSON.stringify(batch[j].body)?.slice(0, 300)} → ${JSON.stringify(a.body).slice(0, 300)}`,
          );
      });
    }
    expect(failures).toEqual([]);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(REQUESTS);
    // Reaching past validation: some requests were accepted, not all refused at the door.
    expect((statuses.get(200) ?? 0) + (statuses.get(202) ?? 0)).toBeGreaterThan(50);

    expect((await call(stack, 'GET', '/health')).status).toBe(200);
    for (const pid of stack.pids) expect(() => process.kill(pid, 0)).not.toThrow();
    // Every job the fuzzer got in finishes (completed or failed for good): none retries for ever.
    const queues = QUEUE_NAMES.map(
      (name) => new Queue(name, { connection: redisConnection(), prefix: stack.env.QUEUE_PREFIX }),
    );
    try {
      const deadline = Date.now() + 90_000;
      let unfinished = Infinity;
      while (unfinished > 0 && Date.now() < deadline) {
        const counts = await Promise.all(
          queues.map((q) => q.getJobCounts('waiting', 'active', 'delayed', 'prioritized')),
        );
        unfinished = counts.reduce((n, c) => n + Object.values(c).reduce((a, b) => a + b, 0), 0);
        if (unfinished) await new Promise((r) => setTimeout(r, 500));
      }
      expect(unfinished).toBe(0);
    } finally {
      await Promise.all(queues.map((q) => q.close()));
    }
    expect(await snapshotOf(stack, bystander.databaseId)).toEqual(before);
    // The fuzzer's own database still syncs.
    expect((await call(stack, 'GET', `${tenantPath(fuzzer)}/tables`, { secret: fuzzer.secret })).status).toBe(200);
  });
});
