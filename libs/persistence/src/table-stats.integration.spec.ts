import pg from 'pg';
import type { TenantRef, VersionInfo } from '#contracts';
import { freshRemoteDatabase } from '../../../scripts/lib/databases.js';
import { registerTable } from './registration.js';
import { readStandings } from './table-stats.js';

const tenant: TenantRef = {
  customerId: '00000000-0000-4000-8000-0000000000d3',
  databaseId: '10000000-0000-4000-8000-0000000000d3',
};
const TABLES = 50;

/**
 * The version GET's read (every agent pass starts with it) must cost in proportion to the database's tables whatever
 * the planner knows. Fresh tables have no statistics, the planner expects one row, and a join planned on that read
 * every registered table once per table.
 */
describe('standings: one read per table, with or without statistics', () => {
  let db: Awaited<ReturnType<typeof freshRemoteDatabase>>;
  let pool: pg.Pool;
  beforeAll(async () => {
    db = await freshRemoteDatabase('standings');
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    await pool.query(`INSERT INTO customers (id, name, enrollment_key_hash) VALUES ($1, 'c', 'x')`, [
      tenant.customerId,
    ]);
    await pool.query(`INSERT INTO databases (id, customer_id, name, secret_hash) VALUES ($1, $2, 'd', 'x')`, [
      tenant.databaseId,
      tenant.customerId,
    ]);
    const limits = { maxTables: TABLES, maxColumns: 10, lockTimeoutMs: 5000 };
    const def = {
      columns: [
        { name: 'id', type: 'bigint' as const },
        { name: 'name', type: 'text' as const },
      ],
      key: ['id'],
    };
    for (let i = 0; i < TABLES; i++) {
      const outcome = await registerTable(pool, tenant, `t${i}`, def, limits, async () => undefined);
      expect(outcome.kind).toBe('registered');
    }
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  /**
   * What one call reads from each control table, counted by PostgreSQL for the transaction so far, as the API's
   * role sees them (row-level security applies), after enough calls for the function's plan to be the kept one.
   */
  async function rowsReadByOneCall() {
    const c = await pool.connect();
    try {
      await c.query('BEGIN; SET LOCAL ROLE rowferry_app');
      for (let i = 0; i < 6; i++)
        await c.query(`SELECT * FROM rowferry_standings($1, NULL, '{}', 0)`, [tenant.databaseId]);
      const read = async () => {
        const { rows } = await c.query<{ relname: string; n: string }>(
          `SELECT relname, coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) AS n FROM pg_stat_xact_user_tables
            WHERE relname IN ('registered_tables', 'table_stats', 'quarantine')`,
        );
        return Object.fromEntries(rows.map((r) => [r.relname, Number(r.n)]));
      };
      const before = await read();
      const { rows } = await c.query(`SELECT * FROM rowferry_standings($1, NULL, '{}', 0)`, [tenant.databaseId]);
      const after = await read();
      await c.query('COMMIT');
      expect(rows).toHaveLength(TABLES);
      return Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]]));
    } finally {
      c.release();
    }
  }

  /** A fleet around the tenant: 200 other databases with 5 tables each, as the statistics will then tell. */
  async function otherTenants() {
    await pool.query(
      `INSERT INTO databases (id, customer_id, name, secret_hash)
         SELECT gen_random_uuid(), $1, 'other', 'x' FROM generate_series(1, 200)`,
      [tenant.customerId],
    );
    await pool.query(
      `INSERT INTO registered_tables (database_id, table_name, columns, key_columns)
         SELECT d.id, 't' || n, '[]', '[]' FROM databases d, generate_series(1, 5) n WHERE d.id <> $1`,
      [tenant.databaseId],
    );
    await pool.query(
      `INSERT INTO table_stats (database_id, table_name, customer_id)
         SELECT database_id, table_name, $1 FROM registered_tables WHERE database_id <> $2`,
      [tenant.customerId, tenant.databaseId],
    );
    await pool.query('ANALYZE registered_tables, table_stats, quarantine');
  }

  it.each([
    ['without statistics', false],
    ['among other tenants, after ANALYZE', true],
  ])('%s, reads each registered table once', async (_, fleet) => {
    if (fleet) await otherTenants();
    const read = await rowsReadByOneCall();
    expect(read.registered_tables).toBeLessThanOrEqual(TABLES);
    expect(read.table_stats).toBeLessThanOrEqual(TABLES);
  });

  it("answers each table's stats, refused definition and quarantined rows, and one table alone", async () => {
    await pool.query(`UPDATE registered_tables SET schema_error = 'column x: type changed' WHERE table_name = 't7'`);
    await pool.query(
      `INSERT INTO quarantine (database_id, customer_id, table_name, row_key, version, row, error)
         SELECT $1, $2, 't9', 'k' || n, n, '{}', 'bad' FROM generate_series(1, 3) n`,
      [tenant.databaseId, tenant.customerId],
    );
    const none = { byTable: {}, everyTable: 0 };
    // The answer is JSON text, for the API to send as it is.
    const standings = async (...args: Parameters<typeof readStandings>) =>
      JSON.parse((await readStandings(...args)) ?? 'null') as VersionInfo[];
    const all = await standings(pool, tenant, none);
    expect(all.map((s) => s.table)).toEqual([...Array(TABLES).keys()].map((i) => `t${i}`).sort());
    const t7 = all.find((s) => s.table === 't7')!;
    const t9 = all.find((s) => s.table === 't9')!;
    expect([t7.schemaError, t7.quarantined, t9.schemaError, t9.quarantined]).toEqual([
      'column x: type changed',
      0,
      null,
      3,
    ]);
    expect(t9).toEqual({
      table: 't9',
      maxVersion: '0',
      appliedThrough: '0',
      rowCount: '0',
      lastModifiedAt: null,
      schemaError: null,
      timeline: '0',
      backfillFrom: null,
      quarantined: 3,
      pendingJobs: 0,
    });
    expect(await standings(pool, tenant, none, 't9')).toEqual(t9);
    expect(await readStandings(pool, tenant, none, 'not_registered')).toBeUndefined();
    expect(await standings(pool, { ...tenant, databaseId: '10000000-0000-4000-8000-0000000000ff' }, none)).toEqual([]);
    // Pending jobs count for their table, and those of no table (ids from before an upgrade) for every table.
    const pending = await standings(pool, tenant, { byTable: { t9: 2, t7: 1 }, everyTable: 1 });
    expect(pending.map((s) => s.pendingJobs)).toEqual(all.map((s) => ({ t9: 3, t7: 2 })[s.table] ?? 1));
  });
});
