import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { SyncAgent } from '../apps/agent/src/agent.js';
import { loadAgentConfig } from '../apps/agent/src/config.js';
import { compareTable } from './lib/compare.js';
import { createSampleDatabase, SAMPLE_TABLES } from './lib/sample-sqlite.js';
import { ensureServices } from './lib/services.js';
import { startStack, type Stack } from './lib/stack.js';

const agentCli = fileURLToPath(new URL('../../bin/rowferry-agent.js', import.meta.url));
const say = (line: string) => console.log(`demo: ${line}`);

/**
 * `npm run demo`: the whole flow on this machine. Migrates a fresh database, starts the API and two workers, makes a
 * sample SQLite shop, registers and tracks it with the agent CLI, syncs, changes rows, syncs again, and prints a
 * per-table summary. Exits non-zero if any table differs.
 */
async function main(): Promise<number> {
  const services = await ensureServices();
  Object.assign(process.env, services.env); // the API and workers started below inherit them
  try {
    return await demo();
  } finally {
    await services.stop();
  }
}

async function demo(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'rowferry-demo-'));
  const dbPath = join(dir, 'shop.db');
  const configPath = join(dir, 'rowferry-agent.yaml');
  say('migrating a fresh remote database, starting the API and 2 workers');
  const boardPassword = randomBytes(12).toString('hex');
  const stack = await startStack('demo', 2, { env: { BULL_BOARD_PASSWORD: boardPassword } });
  let agent: SyncAgent | undefined;
  try {
    say(`API on ${stack.apiUrl}`);
    createSampleDatabase(dbPath, 100_000);
    say(
      `sample SQLite database with 100,000 items, 30,000 order lines (composite key), 1,011 tags (text key) at ${dbPath}`,
    );
    writeFileSync(
      configPath,
      [
        `api: { url: "${stack.apiUrl}", credentialsFile: credentials.json }`,
        `source: { type: sqlite, path: shop.db }`,
        `tables:`,
        ...SAMPLE_TABLES.map((t) => `  - { name: ${t.name}, key: [${t.key.join(', ')}] }`),
        `batchRows: 5000`,
        `sliceRows: 50000`,
      ].join('\n'),
    );
    const customer = await adminPost(stack, '/v1/admin/customers', { name: 'Demo Shop Ltd' });
    cli([
      'register',
      '-c',
      configPath,
      '--customer',
      customer.customerId,
      '--enrollment-key',
      customer.enrollmentKey,
      '--name',
      'demo-shop',
    ]);
    cli(['track', '-c', configPath]);

    agent = new SyncAgent(loadAgentConfig(configPath), (l) => say(`agent ${l.replace(/^\S+ /, '')}`));
    const creds = JSON.parse(execFileSync('cat', [join(dir, 'credentials.json')], { encoding: 'utf8' }));
    const differences = async () =>
      (
        await Promise.all(
          SAMPLE_TABLES.map((t) => compareTable(dbPath, stack.databaseUrl, creds.databaseId, t.name, t.key)),
        )
      ).flat();

    say('initial sync');
    await syncUntilEqual(agent, differences);

    say('changing rows: updates, inserts, deletes in the middle, deletion of the newest rows');
    const db = new Database(dbPath);
    db.exec(`UPDATE items SET name = name || ' v2', price = price + 1 WHERE id % 50 = 0;
             INSERT INTO items (id, name, price, qty) SELECT 500000 + id, 'new ' || id, 9.99, id FROM items WHERE id <= 1000;
             DELETE FROM items WHERE id BETWEEN 50000 AND 50499;
             DELETE FROM order_lines WHERE order_id BETWEEN 100 AND 120;
             DELETE FROM tags WHERE code IN ('alpha', '東京');
             UPDATE tags SET label = 'changed' WHERE code LIKE 'tag-1%';`);
    db.exec(
      `DELETE FROM items WHERE _rowferry_version IN (SELECT _rowferry_version FROM items ORDER BY _rowferry_version DESC LIMIT 100)`,
    );
    db.close();
    await syncUntilEqual(agent, differences);

    const diffs = await differences();
    await printSummary(stack, dbPath, creds.databaseId);
    say(
      `Bull Board was at ${stack.apiUrl}/admin/queues during the demo (user ops, password ${boardPassword}); an API started with BULL_BOARD_PASSWORD serves it`,
    );
    if (diffs.length) {
      say(`DIFFERENCES:\n${diffs.slice(0, 20).join('\n')}`);
      return 1;
    }
    say('all tables equal');
    return 0;
  } finally {
    await agent?.close();
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function syncUntilEqual(agent: SyncAgent, differences: () => Promise<string[]>, maxCycles = 15): Promise<void> {
  let roundDone = false;
  for (let cycle = 1; cycle <= maxCycles; cycle++) {
    const started = Date.now();
    const report = await agent.cycle();
    say(`pass ${cycle} took ${Date.now() - started} ms`);
    roundDone ||= report.tables.every((t) => 'position' in t && t.position === 0n && t.steps.at(-1) === 'equal');
    if (roundDone && (await differences()).length === 0) return;
  }
}

function cli(args: string[]): void {
  const out = execFileSync(process.execPath, [agentCli, ...args], { encoding: 'utf8' });
  say(`rowferry-agent ${args[0]}: ${out.trim().split('\n').join('; ')}`);
}

async function adminPost(
  stack: Stack,
  path: string,
  body: unknown,
): Promise<{ customerId: string; enrollmentKey: string }> {
  const res = await fetch(`${stack.apiUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { customerId: string; enrollmentKey: string };
}

async function printSummary(stack: Stack, dbPath: string, databaseId: string): Promise<void> {
  const local = new Database(dbPath, { readonly: true });
  const client = new pg.Client({ connectionString: stack.databaseUrl });
  await client.connect();
  const rows = [];
  for (const t of SAMPLE_TABLES) {
    const l = local.prepare(`SELECT count(*) AS n, max(_rowferry_version) AS v FROM ${t.name}`).get() as {
      n: number;
      v: number;
    };
    const r = (
      await client.query(
        `SELECT count(*)::int AS n, max(_rf_version)::text AS v FROM rowferry_data.${t.name} WHERE _rf_database = $1`,
        [databaseId],
      )
    ).rows[0];
    const diffs = await compareTable(dbPath, stack.databaseUrl, databaseId, t.name, t.key);
    rows.push({
      table: t.name,
      localRows: l.n,
      remoteRows: r.n,
      localVersion: String(l.v),
      remoteVersion: r.v,
      equal: diffs.length === 0 ? 'yes' : `NO (${diffs.length})`,
    });
  }
  await client.end();
  local.close();
  console.table(rows);
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
