import pg from 'pg';
import { enrollDatabase, type Stack } from '../../scripts/lib/stack.js';

export interface Tenant {
  customerId: string;
  databaseId: string;
  secret: string;
}

export interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions read any field of any answer
  body: any;
  headers: Headers;
}

/** One HTTP call to the API; the body is sent as given when it is a string, else as JSON. */
export async function call(
  stack: Stack,
  method: string,
  path: string,
  opts: { secret?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {
    ...(opts.secret ? { authorization: `Bearer ${opts.secret}` } : {}),
    ...opts.headers,
  };
  if (opts.body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(stack.apiUrl + path, {
    method,
    headers,
    body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: res.status, body, headers: res.headers };
}

export function tenantPath(t: Pick<Tenant, 'customerId' | 'databaseId'>): string {
  return `/v1/customers/${t.customerId}/databases/${t.databaseId}`;
}

export const enroll = (stack: Stack, name: string): Promise<Tenant> => enrollDatabase(stack, name);

/** A second database of the same customer, enrolled with the customer's key. */
export async function enrollCustomer(
  stack: Stack,
  name: string,
): Promise<{ customerId: string; enrollmentKey: string }> {
  return (await call(stack, 'POST', '/v1/admin/customers', { secret: stack.adminToken, body: { name } })).body;
}

export const ITEMS = {
  columns: [
    { name: 'id', type: 'bigint' },
    { name: 'name', type: 'text' },
    { name: 'price', type: 'numeric' },
  ],
  key: ['id'],
};

/** Registers "items" and uploads rows 1..n, waiting until they are applied. */
export async function seedItems(stack: Stack, t: Tenant, n: number): Promise<void> {
  const base = tenantPath(t);
  expect((await call(stack, 'PUT', `${base}/tables/items`, { secret: t.secret, body: ITEMS })).status).toBe(200);
  const ids = Array.from({ length: n }, (_, i) => String(i + 1));
  const up = await call(stack, 'POST', `${base}/tables/items`, {
    secret: t.secret,
    body: {
      rows: {
        columns: ['id', 'name', 'price'],
        values: [ids, ids.map((i) => `item ${i}`), ids.map(() => '1.5')],
        versions: ids,
      },
    },
  });
  expect(up.status).toBe(202);
  await waitForJob(stack, t, up.body.jobId);
}

export async function waitForJob(stack: Stack, t: Tenant, jobId: string, timeoutMs = 30_000): Promise<Answer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await call(stack, 'GET', `${tenantPath(t)}/jobs/${jobId}`, { secret: t.secret });
    if (r.body?.state === 'completed' || r.body?.state === 'failed') return r;
    if (Date.now() > deadline)
      throw new Error(`job ${jobId} did not finish in ${timeoutMs} ms: ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/**
 * Everything PostgreSQL holds for one database, as one comparable value: its rows of every table it registered (its
 * own columns: a column another tenant adds to a shared table is not its data), its registrations, stats, quarantine
 * and markers. Equal before and after means nothing of it changed.
 */
export async function snapshotOf(stack: Stack, databaseId: string): Promise<Record<string, unknown>> {
  const c = new pg.Client({ connectionString: stack.databaseUrl });
  await c.connect();
  try {
    const out: Record<string, unknown> = {};
    const { rows: tables } = await c.query<{ table_name: string; columns: { name: string }[] }>(
      'SELECT table_name, columns FROM registered_tables WHERE database_id = $1 ORDER BY 1',
      [databaseId],
    );
    for (const t of tables) {
      const cols = [...t.columns.map((col) => `"${col.name}"`), '_rf_version', '_rf_modified_at'];
      out[`data.${t.table_name}`] = (
        await c.query(
          `SELECT ${cols.join(', ')} FROM rowferry_data."${t.table_name}" WHERE _rf_database = $1 ORDER BY _rf_version`,
          [databaseId],
        )
      ).rows;
    }
    for (const [name, sql] of Object.entries({
      registered_tables:
        'SELECT table_name, columns, key_columns, schema_error FROM registered_tables WHERE database_id = $1 ORDER BY 1',
      table_stats: 'SELECT * FROM table_stats WHERE database_id = $1 ORDER BY table_name',
      quarantine: 'SELECT * FROM quarantine WHERE database_id = $1 ORDER BY id',
      database_markers: 'SELECT * FROM database_markers WHERE database_id = $1 ORDER BY seq',
    }))
      out[name] = (await c.query(sql, [databaseId])).rows;
    return out;
  } finally {
    await c.end();
  }
}

/** The id with its letters upper-cased, or only some of them: the same UUID to PostgreSQL. */
export function spellings(id: string): string[] {
  return [
    id,
    id.toUpperCase(),
    id.replace(/[a-f]/g, (ch, i: number) => (i % 2 ? ch.toUpperCase() : ch)),
    id.replace(/^[0-9a-f]{8}/, (s) => s.toUpperCase()),
  ];
}
