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

const INT64_MAX = 2n ** 63n - 1n;

/**
 * Deletes captured as they happen (docs/sync-model.md, Deletes): a delete trigger logs the key with a fresh version,
 * and the next pass sends it with the uploads. The difference check is set to look at 50 rows a pass here, so it
 * cannot be what finds them.
 */
describe.each(ENGINES)('deletes captured as they happen: %s source', (engine) => {
  let stack: Stack;
  let dir: string;
  let tenant: ChaosTenant;
  let drop: () => Promise<void>;
  let creds: Credentials;
  let agent: SyncAgent;
  let remote: pg.Client;

  const differences = async () => (await tenant.compare(stack.databaseUrl, creds.databaseId)).differences;
  const [items, lines, tags] = ['items', 'lines', 'tags'].map((_, i) => () => tenant.tables[i].name);
  async function pass() {
    const report = await agent.cycle();
    const failed = report.tables.filter((t) => 'error' in t);
    if (failed.length) throw new Error(JSON.stringify(failed));
    return new Map(report.tables.map((t) => [t.table, t as Exclude<typeof t, { error: string }>]));
  }

  beforeAll(async () => {
    stack = await startStack(`del${engine}`, 2);
    dir = mkdtempSync(join(tmpdir(), `rowferry-del-${engine}-`));
    ({ tenant, drop } = await tenantOf(engine, dir));
    await tenant.setup(new Random(11));
    await tenant.installTracking();
    creds = await enrollDatabase(stack, `deletes-${engine}`);
    agent = configuredAgent(stack, dir, creds, {
      source: tenant.sourceConfig,
      tables: tenant.tables,
      batchRows: 400,
      maxInFlight: 4,
      sliceRows: 50,
    });
    remote = new pg.Client({ connectionString: stack.databaseUrl });
    await remote.connect();
    await pass();
    await pass();
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

  it('scattered deletes in every table, a changed key and the newest row are gone remotely after one pass', async () => {
    await tenant.exec(`DELETE FROM ${items()} WHERE id % 13 = 0`);
    await tenant.exec(`DELETE FROM ${lines()} WHERE order_id % 17 = 0`);
    await tenant.exec(`DELETE FROM ${tags()} WHERE code = ?`, ['Zürich']);
    await tenant.exec(`UPDATE ${items()} SET id = 100000 WHERE id = 2`);
    await tenant.exec(`DELETE FROM ${items()} WHERE id = 1500`);
    expect((await differences()).length).toBeGreaterThan(140);

    const reports = await pass();
    expect(reports.get(items())!.deleted).toBe(115 + 1 + 1); // id % 13 = 0 up to 1500, the old key 2, id 1500
    expect(reports.get(lines())!.deleted).toBe(29 * 2);
    expect(reports.get(tags())!.deleted).toBe(1);
    expect(await differences()).toEqual([]);
  });

  it('a delete then a re-insert of the same key between passes keeps the new row', async () => {
    await tenant.exec(`DELETE FROM ${items()} WHERE id = 3`);
    await tenant.exec(`INSERT INTO ${items()} (id, name) VALUES (3, 'back again')`);
    await tenant.exec(`DELETE FROM ${lines()} WHERE order_id = 1 AND line = 1`);
    await tenant.exec(`INSERT INTO ${lines()} (order_id, line, sku, qty) VALUES (1, 1, 'again', 7)`);
    await pass();
    expect(await differences()).toEqual([]);
    const { rows } = await remote.query(
      `SELECT name FROM rowferry_data.${quoteIdent(items())} WHERE _rf_database = $1 AND id = 3`,
      [creds.databaseId],
    );
    expect(rows).toEqual([{ name: 'back again' }]);
  });

  it('a delete older than the remote row leaves it, in the same job as its upload or on its own', async () => {
    const table = await agent.source.describe(items(), ['id']);
    const { rows } = await remote.query(
      `SELECT _rf_version::text AS v FROM rowferry_data.${quoteIdent(items())} WHERE _rf_database = $1 AND id = 5`,
      [creds.databaseId],
    );
    const v = BigInt(rows[0].v);
    const resend = await agent.source.rowsWithVersions(table, [v]);
    const older = { keys: [['5']], versions: [(v - 1n).toString()] };
    await agent.api.waitForJob(await agent.api.upload(items(), { rows: resend, deletes: older }));
    await agent.api.waitForJob(
      await agent.api.upload(items(), {
        rows: { ...resend, values: resend.values.map(() => []), versions: [] },
        deletes: older,
      }),
    );
    expect(await differences()).toEqual([]);
  });

  it('logged deletes are pruned once the remote has applied them', async () => {
    await tenant.exec(`DELETE FROM ${items()} WHERE id = 7`);
    const table = await agent.source.describe(items(), ['id']);
    expect((await agent.source.deletesAfter(table, 0n, INT64_MAX, 1000)).versions.length).toBeGreaterThan(0);
    await pass(); // sends the delete
    await pass(); // equal: prunes what is applied
    expect((await agent.source.deletesAfter(table, 0n, INT64_MAX, 1000)).versions).toEqual([]);
    expect(await differences()).toEqual([]);
  });
});
