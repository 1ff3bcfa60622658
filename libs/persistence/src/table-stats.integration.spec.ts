import pg from 'pg';
import type { TenantRef } from '#contracts';
import { freshRemoteDatabase } from '../../../scripts/lib/databases.js';
import { registerTable } from './registration.js';
import { standingsSql } from './table-stats.js';
import { withTenant } from './tenant-transaction.js';

const tenant: TenantRef = {
  customerId: '00000000-0000-4000-8000-0000000000d3',
  databaseId: '10000000-0000-4000-8000-0000000000d3',
};
const TABLES = 50;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Join Filter'?: number;
  Plans?: PlanNode[];
}

/** Rows the plan read from a relation, those its filters threw away included. */
function rowsRead(node: PlanNode, relation: string): number {
  const own =
    node['Relation Name'] === relation
      ? (node['Actual Rows'] + (node['Rows Removed by Filter'] ?? 0)) * node['Actual Loops']
      : 0;
  return own + (node.Plans ?? []).reduce((sum, child) => sum + rowsRead(child, relation), 0);
}

/**
 * The version GET's statement (every agent pass starts with it) must cost in proportion to the database's tables
 * whatever the planner knows. Fresh tables have no statistics, the planner expects one row, and a join planned on
 * that read every registered table once per table.
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

  const plan = () =>
    withTenant(pool, tenant, async (c) => {
      const { rows } = await c.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        `EXPLAIN (ANALYZE, FORMAT JSON) ${standingsSql(tenant)}`,
      );
      return rows[0]['QUERY PLAN'][0].Plan;
    });

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
    const root = await plan();
    expect(root['Actual Rows']).toBe(TABLES);
    expect(rowsRead(root, 'registered_tables')).toBeLessThanOrEqual(TABLES);
    expect(rowsRead(root, 'table_stats')).toBeLessThanOrEqual(TABLES);
  });
});
