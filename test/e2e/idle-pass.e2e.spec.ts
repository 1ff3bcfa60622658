import type { SyncAgent } from '../../apps/agent/src/agent.js';
import type { Exchange } from '../../apps/agent/src/http-exchange.js';
import { ENGINES, syncedTenant, type Engine, type SyncedTenant } from '../support/tenants.js';

/** Counts the statements the source sends its database, at the driver's one entry point for each engine. */
function countStatements(agent: SyncAgent, engine: Engine): { count: number } {
  const counter = { count: 0 };
  const inner = agent.source as unknown as Record<string, Record<string, (...args: unknown[]) => unknown>>;
  const [owner, method] = engine === 'sqlite' ? [inner.db, 'prepare'] : [inner.pool, 'query'];
  const original = owner[method].bind(owner);
  owner[method] = (...args: unknown[]) => {
    counter.count++;
    return original(...args);
  };
  return counter;
}

/**
 * Idle passes (docs/sync-model.md, Idle passes): once a pass found every table equal and did nothing, the next one
 * reads one statement and makes one request while nothing changes, and any change on either side ends that at once.
 */
describe.each(ENGINES)('idle passes: %s source', (engine) => {
  let t: SyncedTenant;
  const routes: string[] = [];
  let statements: { count: number };
  const items = () => t.tenant.tables[0].name;

  /** Passes until one is idle (at most five); what the idle one asked. */
  async function idlePass(): Promise<{ routes: string[]; statements: number }> {
    for (let pass = 0; pass < 5; pass++) {
      routes.length = 0;
      statements.count = 0;
      const report = await t.agent.cycle();
      expect(report.tables.filter((r) => 'error' in r)).toEqual([]);
      if (statements.count === 1) return { routes: [...routes], statements: statements.count };
    }
    throw new Error('no idle pass in five');
  }

  async function syncedAgain(): Promise<void> {
    for (let pass = 0; pass < 5; pass++) {
      await t.agent.cycle();
      if ((await t.differences()).length === 0) break;
    }
    expect(await t.differences()).toEqual([]);
  }

  beforeAll(async () => {
    t = await syncedTenant(engine, 'idle', 41, {});
    t.agent.api.http.observe((e: Exchange) => {
      if (e.phase === 'sent') routes.push(`${e.method} ${e.path.replace(/^.*\/databases\/[^/]+/, '')}`);
    });
    statements = countStatements(t.agent, engine);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('an idle pass reads one statement and makes one request, and says every table is equal', async () => {
    expect(await t.differences()).toEqual([]);
    const idle = await idlePass();
    expect(idle).toEqual({ routes: ['GET /tables'], statements: 1 });
    // The next one too: the watch holds while nothing changes.
    statements.count = 0;
    routes.length = 0;
    const report = await t.agent.cycle();
    expect({ routes, statements: statements.count }).toEqual({ routes: ['GET /tables'], statements: 1 });
    expect(report.tables.map((r) => ('steps' in r ? r.steps : r))).toEqual(t.tenant.tables.map(() => ['equal']));
  });

  it('a row written by the application ends it: the next pass sends it', async () => {
    await idlePass();
    await t.tenant.exec(`UPDATE ${items()} SET name = ? WHERE id = ?`, ['written while idle', 1]);
    await t.agent.cycle();
    expect(await t.differences()).toEqual([]);
  });

  it('a column added with no row written ends it: the next passes register it and send its values', async () => {
    await idlePass();
    const added = await t.tenant.addColumn();
    await syncedAgain();
    const [table, column] = added.split('.');
    const { rows } = await t.remote.query(
      `SELECT count(*)::int AS n FROM rowferry_data.${table} WHERE _rf_database = $1 AND ${column} = $2`,
      [t.creds.databaseId, column],
    );
    expect(rows[0].n).toBeGreaterThan(0);
  });

  it('a change on the server ends it: a cloud copy restored to an older state is sent again', async () => {
    await idlePass();
    // The cloud loses its newest rows of the table, as a restore of the cloud database would leave it.
    const { rows } = await t.remote.query(
      `SELECT max(_rf_version)::text AS top, count(*)::int AS n FROM rowferry_data.${items()} WHERE _rf_database = $1`,
      [t.creds.databaseId],
    );
    const below = (BigInt(rows[0].top) - 5n).toString();
    const lost = await t.remote.query(
      `DELETE FROM rowferry_data.${items()} WHERE _rf_database = $1 AND _rf_version > $2`,
      [t.creds.databaseId, below],
    );
    expect(lost.rowCount).toBeGreaterThan(0);
    await t.remote.query(
      `UPDATE table_stats SET applied_through = $2, max_version = $2, row_count = $3
        WHERE database_id = $1 AND table_name = $4`,
      [t.creds.databaseId, below, rows[0].n - (lost.rowCount ?? 0), items()],
    );
    expect((await t.differences()).length).toBeGreaterThan(0);
    await syncedAgain();
  });

  it("deletes no trigger saw end it when they lower the table's newest version (TRUNCATE)", async () => {
    await idlePass();
    const lines = t.tenant.tables[1].name;
    if (engine === 'sqlite') await t.tenant.exec(`DELETE FROM ${lines}`);
    else await t.tenant.exec(`TRUNCATE TABLE ${lines}`);
    await syncedAgain();
    const { rows } = await t.remote.query(
      `SELECT count(*)::int AS n FROM rowferry_data.${lines} WHERE _rf_database = $1`,
      [t.creds.databaseId],
    );
    expect(rows[0].n).toBe(0);
  });

  if (engine !== 'sqlite')
    it('a counter altered to hand out cached values fails every pass, saying to run track, which sets it back', async () => {
      await idlePass();
      const sequence = engine === 'postgres' ? '_rowferry.version_seq' : '_rowferry_version_seq';
      await t.tenant.exec(`ALTER SEQUENCE ${sequence} CACHE 50`);
      await expect(t.agent.cycle()).rejects.toThrow(/hands out cached values \(cache 50\).*rowferry-agent track/);
      await expect(t.agent.cycle()).rejects.toThrow(/hands out cached values/);
      await t.tenant.installTracking();
      await t.tenant.exec(`UPDATE ${items()} SET name = ? WHERE id = ?`, ['after track', 3]);
      await syncedAgain();
    });

  if (engine === 'postgres')
    it('a transaction holding a version while an idle-looking pass runs is sent once it commits', async () => {
      await idlePass();
      const { Client } = (await import('pg')).default;
      const writer = new Client({ connectionString: (t.tenant.sourceConfig as { url: string }).url });
      await writer.connect();
      try {
        await writer.query('BEGIN');
        await writer.query(`UPDATE ${items()} SET name = 'committed late' WHERE id = 2`);
        // The pass sees the counter moved but the row not yet: it may not take this state for an idle one.
        for (let pass = 0; pass < 3; pass++) await t.agent.cycle();
        await writer.query('COMMIT');
      } finally {
        await writer.end();
      }
      await t.agent.cycle();
      await t.agent.cycle();
      expect(await t.differences()).toEqual([]);
    });
});
