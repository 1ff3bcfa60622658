import pg from 'pg';
import { startStack, type Stack } from '../../scripts/lib/stack.js';
import { call, enroll, seedItems, tenantPath, waitForJob, type Tenant } from './support.js';

const TENANT_TABLES = [
  'registered_tables',
  'table_stats',
  'quarantine',
  'batch_history',
  'database_markers',
  'rowferry_data.items',
];

/** The services' login owns nothing, and a query that forgets the tenant reads nothing, even as the owner. */
describe('least privilege and forced row-level security', () => {
  let stack: Stack;
  let a: Tenant;
  let service: pg.Client;

  beforeAll(async () => {
    stack = await startStack('least_privilege', 1);
    a = await enroll(stack, 'a');
    await seedItems(stack, a, 5);
    // Rows in every tenant table: a quarantined row, a marker, batch history (from the seed).
    const bad = await call(stack, 'POST', `${tenantPath(a)}/tables/items`, {
      secret: a.secret,
      body: { rows: { columns: ['id', 'price'], values: [['9'], ['NaN?']], versions: ['9'] } },
    });
    await waitForJob(stack, a, bad.body.jobId);
    expect(
      (
        await call(stack, 'POST', `${tenantPath(a)}/markers`, {
          secret: a.secret,
          body: { id: '5d1c1c1e-0000-4000-8000-000000000003', watermark: '1' },
        })
      ).status,
    ).toBe(204);
    service = new pg.Client({ connectionString: stack.env.DATABASE_URL });
    await service.connect();
  });
  afterAll(async () => {
    await service?.end();
    await stack?.stop();
  });

  const counts = async (c: pg.Client, tables: readonly string[] = TENANT_TABLES) => {
    const out: Record<string, number> = {};
    for (const t of tables) out[t] = (await c.query(`SELECT count(*)::int AS n FROM ${t}`)).rows[0].n;
    return out;
  };

  it('the services log in as a role that is no superuser, bypasses no policy and owns nothing', async () => {
    const { rows } = await service.query(
      `SELECT current_user AS name, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`,
    );
    expect(rows[0]).toMatchObject({ rolsuper: false, rolbypassrls: false });
    expect(rows[0].name).not.toBe('postgres');
    const owned = await service.query(
      `SELECT count(*)::int AS n FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)`,
    );
    expect(owned.rows[0].n).toBe(0);
    // Not even the data schema is open to it until a transaction switches role (to the tenant role, or for DDL the
    // owner).
    await expect(service.query('CREATE TABLE rowferry_data.intruder (i int)')).rejects.toThrow(
      /permission denied for schema rowferry_data/,
    );
    await expect(service.query('DROP TABLE rowferry_data.items')).rejects.toThrow(
      /permission denied for schema rowferry_data/,
    );
  });

  it('without a tenant named, every tenant table reads empty: to the services, and to the owner of the data tables', async () => {
    const superuser = new pg.Client({ connectionString: stack.databaseUrl });
    await superuser.connect();
    try {
      const present = await counts(superuser); // a superuser sees through policies: the rows are there
      for (const t of TENANT_TABLES) expect([t, present[t] > 0]).toEqual([t, true]);
    } finally {
      await superuser.end();
    }
    for (const [role, tables] of [
      ['rowferry_tenant', TENANT_TABLES],
      ['rowferry_owner', ['rowferry_data.items']],
    ] as const) {
      await service.query('BEGIN');
      try {
        await service.query(`SET LOCAL ROLE ${role}`);
        expect([role, await counts(service, tables)]).toEqual([role, Object.fromEntries(tables.map((t) => [t, 0]))]);
      } finally {
        await service.query('ROLLBACK');
      }
    }
    await expect(service.query('SELECT count(*) FROM table_stats')).resolves.toMatchObject({ rows: [{ count: '0' }] });
  });

  it('with the tenant named, exactly its own rows', async () => {
    const other = await enroll(stack, 'b');
    await seedItems(stack, other, 2);
    await service.query('BEGIN');
    try {
      await service.query(
        `SELECT set_config('role', 'rowferry_tenant', true), set_config('rowferry.database_id', $1, true)`,
        [a.databaseId],
      );
      expect((await service.query('SELECT count(*)::int AS n FROM rowferry_data.items')).rows[0].n).toBe(5);
      expect((await service.query('SELECT DISTINCT database_id FROM table_stats')).rows).toEqual([
        { database_id: a.databaseId },
      ]);
    } finally {
      await service.query('ROLLBACK');
    }
  });
});
