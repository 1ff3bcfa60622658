import Database from 'better-sqlite3';
import { quoteIdent } from '#contracts';
import type { SqliteTenant } from '../../scripts/lib/chaos/sqlite-tenant.js';
import { ENGINES, syncedTenant, type SyncedTenant } from '../support/tenants.js';

/**
 * The content check (docs/difference-check.md, Content): every column of every row hashed alike on both sides, so a
 * row whose content differs under the same version is found, which no check of keys and versions can do.
 */
describe.each(ENGINES)('content check: %s source', (engine) => {
  let t: SyncedTenant;
  const table = (i: number) => quoteIdent(t.tenant.tables[i].name);
  const found = async (content: boolean) =>
    [...(await t.agent.verify({ content })).values()].reduce((n, r) => n + r.found, 0);

  beforeAll(async () => {
    t = await syncedTenant(engine, 'content', 5, { batchRows: 400, sliceRows: 700 });
    expect(await t.differences()).toEqual([]);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("finds nothing in an equal copy: every type's value hashes alike from the source and from PostgreSQL", async () => {
    expect(await found(true)).toBe(0);
  });

  it('finds and repairs rows edited in the cloud database, which keys and versions cannot see', async () => {
    await t.remote.query(
      `UPDATE rowferry_data.${table(0)} SET name = 'edited in the cloud' WHERE _rf_database = $1 AND id IN (10, 700)`,
      [t.creds.databaseId],
    );
    await t.remote.query(
      `UPDATE rowferry_data.${table(1)} SET qty = qty + 1 WHERE _rf_database = $1 AND order_id = 3`,
      [t.creds.databaseId],
    );
    await t.remote.query(
      `UPDATE rowferry_data.${table(2)} SET label = NULL WHERE _rf_database = $1 AND label IS NOT NULL AND code = (SELECT min(code) FROM rowferry_data.${table(2)} WHERE _rf_database = $1 AND label IS NOT NULL)`,
      [t.creds.databaseId],
    );
    expect((await t.differences()).length).toBe(5);
    expect(await found(false)).toBe(0);
    expect(await found(true)).toBe(5);
    expect(await t.differences()).toEqual([]);
  });
});

/** The schedule, and a replayed timeline: the local row changed under the same version. */
describe('content check: on its schedule', () => {
  let t: SyncedTenant;

  beforeAll(async () => {
    t = await syncedTenant('sqlite', 'contentschedule', 6, { sliceRows: 100_000, verifyContentEvery: '1s' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a row whose content changed locally under the same version (a replayed timeline) is repaired within 2 passes', async () => {
    const items = t.tenant.tables[0].name;
    const db = new Database((t.tenant as SqliteTenant).path);
    // What a lost timeline replayed with the same versions leaves: other content, same version.
    db.exec(
      `DROP TRIGGER "_rowferry_${items}_update"; UPDATE ${items} SET note = 'replayed' WHERE id IN (5, 600, 1200)`,
    );
    db.close();
    await t.tenant.installTracking(); // the triggers back
    expect((await t.differences()).length).toBe(3);
    await new Promise((r) => setTimeout(r, 1100)); // the content round falls due
    for (let pass = 0; pass < 2; pass++) await t.agent.cycle();
    expect(await t.differences()).toEqual([]);
  });
});
