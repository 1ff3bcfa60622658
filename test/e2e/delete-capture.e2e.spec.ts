import { quoteIdent } from '#contracts';
import { ENGINES, syncedTenant, type SyncedTenant } from '../support/tenants.js';

const INT64_MAX = 2n ** 63n - 1n;

/**
 * Deletes captured as they happen (docs/sync-model.md, Deletes): a delete trigger logs the key with a fresh version,
 * and the next pass sends it with the uploads. The difference check is set to look at 50 rows a pass here, so it
 * cannot be what finds them.
 */
describe.each(ENGINES)('deletes captured as they happen: %s source', (engine) => {
  let t: SyncedTenant;
  const [items, lines, tags] = ['items', 'lines', 'tags'].map((_, i) => () => t.tenant.tables[i].name);
  async function pass() {
    const report = await t.agent.cycle();
    const failed = report.tables.filter((r) => 'error' in r);
    if (failed.length) throw new Error(JSON.stringify(failed));
    return new Map(report.tables.map((r) => [r.table, r as Exclude<typeof r, { error: string }>]));
  }

  beforeAll(async () => {
    t = await syncedTenant(engine, 'del', 11, { batchRows: 400, maxInFlight: 4, sliceRows: 50 });
    expect(await t.differences()).toEqual([]);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('scattered deletes in every table, a changed key and the newest row are gone remotely after one pass', async () => {
    await t.tenant.exec(`DELETE FROM ${items()} WHERE id % 13 = 0`);
    await t.tenant.exec(`DELETE FROM ${lines()} WHERE order_id % 17 = 0`);
    await t.tenant.exec(`DELETE FROM ${tags()} WHERE code = ?`, ['Zürich']);
    await t.tenant.exec(`UPDATE ${items()} SET id = 100000 WHERE id = 2`);
    await t.tenant.exec(`DELETE FROM ${items()} WHERE id = 1500`);
    expect((await t.differences()).length).toBeGreaterThan(140);

    const reports = await pass();
    expect(reports.get(items())!.deleted).toBe(115 + 1 + 1); // id % 13 = 0 up to 1500, the old key 2, id 1500
    expect(reports.get(lines())!.deleted).toBe(29 * 2);
    expect(reports.get(tags())!.deleted).toBe(1);
    expect(await t.differences()).toEqual([]);
  });

  it('a delete then a re-insert of the same key between passes keeps the new row', async () => {
    await t.tenant.exec(`DELETE FROM ${items()} WHERE id = 3`);
    await t.tenant.exec(`INSERT INTO ${items()} (id, name) VALUES (3, 'back again')`);
    await t.tenant.exec(`DELETE FROM ${lines()} WHERE order_id = 1 AND line = 1`);
    await t.tenant.exec(`INSERT INTO ${lines()} (order_id, line, sku, qty) VALUES (1, 1, 'again', 7)`);
    await pass();
    expect(await t.differences()).toEqual([]);
    const { rows } = await t.remote.query(
      `SELECT name FROM rowferry_data.${quoteIdent(items())} WHERE _rf_database = $1 AND id = 3`,
      [t.creds.databaseId],
    );
    expect(rows).toEqual([{ name: 'back again' }]);
  });

  it('a delete older than the remote row leaves it, in the same job as its upload or on its own', async () => {
    const table = await t.agent.source.describe({ name: items(), key: ['id'] });
    const { rows } = await t.remote.query(
      `SELECT _rf_version::text AS v FROM rowferry_data.${quoteIdent(items())} WHERE _rf_database = $1 AND id = 5`,
      [t.creds.databaseId],
    );
    const v = BigInt(rows[0].v);
    const resend = await t.agent.source.rowsWithVersions(table, [v]);
    const older = { keys: [['5']], versions: [(v - 1n).toString()] };
    await t.agent.api.waitForJob(await t.agent.api.upload(items(), { rows: resend, deletes: older }));
    await t.agent.api.waitForJob(
      await t.agent.api.upload(items(), {
        rows: { ...resend, values: resend.values.map(() => []), versions: [] },
        deletes: older,
      }),
    );
    expect(await t.differences()).toEqual([]);
  });

  it('logged deletes are pruned once the remote has applied them', async () => {
    await t.tenant.exec(`DELETE FROM ${items()} WHERE id = 7`);
    const table = await t.agent.source.describe({ name: items(), key: ['id'] });
    expect((await t.agent.source.deletesAfter(table, 0n, INT64_MAX, 1000)).versions.length).toBeGreaterThan(0);
    await pass(); // sends the delete
    await pass(); // equal: prunes what is applied
    expect((await t.agent.source.deletesAfter(table, 0n, INT64_MAX, 1000)).versions).toEqual([]);
    expect(await t.differences()).toEqual([]);
  });
});
