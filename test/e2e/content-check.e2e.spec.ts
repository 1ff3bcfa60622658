import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { SyncAgent } from '../../apps/agent/src/agent.js';
import { quoteIdent } from '#contracts';
import { configuredAgent, type Credentials } from '../../scripts/lib/agent-config.js';
import { Random } from '../../scripts/lib/chaos/random.js';
import type { ChaosTenant } from '../../scripts/lib/chaos/tenant.js';
import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';
import { ENGINES, tenantOf } from '../support/tenants.js';

/**
 * The content check (docs/difference-check.md, Content): every column of every row hashed alike on both sides, so a
 * row whose content differs under the same version is found, which no check of keys and versions can do.
 */
describe.each(ENGINES)('content check: %s source', (engine) => {
  let stack: Stack;
  let dir: string;
  let tenant: ChaosTenant;
  let drop: () => Promise<void>;
  let creds: Credentials;
  let agent: SyncAgent;
  let remote: pg.Client;

  const differences = async () => (await tenant.compare(stack.databaseUrl, creds.databaseId)).differences;
  const table = (i: number) => quoteIdent(tenant.tables[i].name);
  const found = async (content: boolean) =>
    [...(await agent.verify({ content })).values()].reduce((n, r) => n + r.found, 0);

  beforeAll(async () => {
    stack = await startStack(`content${engine}`, 2);
    dir = mkdtempSync(join(tmpdir(), `rowferry-content-${engine}-`));
    ({ tenant, drop } = await tenantOf(engine, dir));
    await tenant.setup(new Random(5));
    await tenant.installTracking();
    creds = await enrollDatabase(stack, `content-${engine}`);
    agent = configuredAgent(stack, dir, creds, {
      source: tenant.sourceConfig,
      tables: tenant.tables,
      batchRows: 400,
      sliceRows: 700,
    });
    remote = new pg.Client({ connectionString: stack.databaseUrl });
    await remote.connect();
    await agent.cycle();
    await agent.cycle();
    expect(await differences()).toEqual([]);
  });

  afterAll(async () => {
    await agent?.close();
    await tenant?.close();
    await remote?.end();
    await stack?.stop();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it("finds nothing in an equal copy: every type's value hashes alike from the source and from PostgreSQL", async () => {
    expect(await found(true)).toBe(0);
  });

  it('finds and repairs rows edited in the cloud database, which keys and versions cannot see', async () => {
    await remote.query(
      `UPDATE rowferry_data.${table(0)} SET name = 'edited in the cloud' WHERE _rf_database = $1 AND id IN (10, 700)`,
      [creds.databaseId],
    );
    await remote.query(`UPDATE rowferry_data.${table(1)} SET qty = qty + 1 WHERE _rf_database = $1 AND order_id = 3`, [
      creds.databaseId,
    ]);
    await remote.query(
      `UPDATE rowferry_data.${table(2)} SET label = NULL WHERE _rf_database = $1 AND label IS NOT NULL AND code = (SELECT min(code) FROM rowferry_data.${table(2)} WHERE _rf_database = $1 AND label IS NOT NULL)`,
      [creds.databaseId],
    );
    expect((await differences()).length).toBe(5);
    expect(await found(false)).toBe(0);
    expect(await found(true)).toBe(5);
    expect(await differences()).toEqual([]);
  });
});

/** The schedule, and a replayed timeline: the local row changed under the same version. */
describe('content check: on its schedule', () => {
  let stack: Stack;
  let dir: string;
  let tenant: ChaosTenant;
  let creds: Credentials;
  let agent: SyncAgent;

  beforeAll(async () => {
    stack = await startStack('contentschedule', 2);
    dir = mkdtempSync(join(tmpdir(), 'rowferry-content-schedule-'));
    ({ tenant } = await tenantOf('sqlite', dir));
    await tenant.setup(new Random(6));
    await tenant.installTracking();
    creds = await enrollDatabase(stack, 'content-schedule');
    agent = configuredAgent(stack, dir, creds, {
      source: tenant.sourceConfig,
      tables: tenant.tables,
      sliceRows: 100_000,
      verifyContentEvery: '1s',
    });
    await agent.cycle();
  });

  afterAll(async () => {
    await agent?.close();
    await tenant?.close();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a row whose content changed locally under the same version (a replayed timeline) is repaired within 2 passes', async () => {
    const items = tenant.tables[0].name;
    const db = new Database(join(dir, 'local.db'));
    // What a lost timeline replayed with the same versions leaves: other content, same version.
    db.exec(
      `DROP TRIGGER "_rowferry_${items}_update"; UPDATE ${items} SET note = 'replayed' WHERE id IN (5, 600, 1200)`,
    );
    db.close();
    await tenant.installTracking(); // the triggers back
    expect((await tenant.compare(stack.databaseUrl, creds.databaseId)).differences.length).toBe(3);
    await new Promise((r) => setTimeout(r, 1100)); // the content round falls due
    for (let pass = 0; pass < 2; pass++) await agent.cycle();
    expect((await tenant.compare(stack.databaseUrl, creds.databaseId)).differences).toEqual([]);
  });
});
