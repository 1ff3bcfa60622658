import Database from 'better-sqlite3';
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { migrate } from '#persistence';
import { startCitusCluster, type CitusCluster } from '../../scripts/lib/citus.js';
import { SAMPLE_TABLES } from '../../scripts/lib/sample-sqlite.js';
import { startStack, type Stack } from '../../scripts/lib/stack.js';
import { call, tenantPath } from '../security/support.js';
import { passOverFirstTable, sampleSource, syncUntilEqual, type SampleSource } from '../support/agent.js';

/** Two of the sample's tables, one keyed by an integer and one by two: enough for these scenarios. */
const TABLES = SAMPLE_TABLES.filter((t) => t.name !== 'tags');

/**
 * rowferry on a 3-node Citus cluster (a coordinator and two workers, private, on loopback): every data table
 * distributed by `_rf_database`, the control tables local on the coordinator, tenant isolation enforced on the worker
 * nodes by row-level security (docs/operations.md, Citus; docs/security.md, Citus).
 */
describe('sync into Citus', () => {
  let citus: CitusCluster;
  let stack: Stack;
  let a: SampleSource;
  let b: SampleSource;
  let admin: pg.Client;

  const local = (s: SampleSource, sql: string) => {
    const db = new Database(s.dbPath);
    try {
      db.exec(sql);
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    citus = await startCitusCluster('rowferry');
    stack = await startStack('citus', 2, { database: citus.url });
    a = await sampleSource(stack, 'tenant-a', 5_000, TABLES, { batchRows: 1000 });
    admin = new pg.Client({ connectionString: citus.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await a?.close();
    await b?.close();
    await stack?.stop();
    await citus?.stop();
  });

  it('loads, then syncs changes and deletes (in the middle and of the newest rows) exactly', async () => {
    await syncUntilEqual(a.agent, a.differences);
    local(
      a,
      `UPDATE items SET name = name || ' (new)' WHERE id % 97 = 0;
              INSERT INTO items (id, name, price, qty, ratio, photo) VALUES (900001, 'fresh', 1.5, 1, 0.5, x'00');
              DELETE FROM items WHERE id BETWEEN 500 AND 599;
              DELETE FROM order_lines WHERE order_id = 7;`,
    );
    local(a, `DELETE FROM items WHERE id = (SELECT max(id) FROM items)`);
    await syncUntilEqual(a.agent, a.differences);
    expect(await a.differences()).toEqual([]);
  });

  it('keeps counts and versions exact, so an equal table sends nothing again', async () => {
    const { rows } = await admin.query<{ table: string; stats: string; real: string; max: string; through: string }>(
      `SELECT s.table_name AS table, s.row_count::text AS stats, s.max_version::text AS max,
              s.applied_through::text AS through,
              CASE s.table_name WHEN 'items' THEN (SELECT count(*) FROM rowferry_data.items WHERE _rf_database = $1)
                                ELSE (SELECT count(*) FROM rowferry_data.order_lines WHERE _rf_database = $1) END::text AS real
         FROM table_stats s WHERE s.database_id = $1 ORDER BY 1`,
      [a.creds.databaseId],
    );
    expect(rows.map((r) => r.table)).toEqual(['items', 'order_lines']);
    for (const r of rows) {
      expect(r.stats).toBe(r.real);
      // Applied through every version sent: past the newest remaining row, which the last deletes took.
      expect(BigInt(r.through)).toBeGreaterThanOrEqual(BigInt(r.max));
    }
    expect((await passOverFirstTable(a.agent)).uploaded).toBe(0);
  });

  it('quarantines a poison row on the worker nodes and syncs the rest; fixed locally, it arrives', async () => {
    local(
      a,
      `INSERT INTO items (id, name, price, qty) VALUES (900002, 'nul' || char(0) || 'inside', 1, 1);
              INSERT INTO items (id, name, price, qty) VALUES (900003, 'after the poison', 1, 1);`,
    );
    for (let i = 0; i < 3; i++) await passOverFirstTable(a.agent);
    const quarantine = await call(stack, 'GET', `${tenantPath(a.creds)}/tables/items/quarantine`, {
      secret: a.creds.secret,
    });
    expect(quarantine.body.rows.map((r: { error: string }) => r.error)).toEqual([expect.stringMatching(/0x00/)]);
    expect(await a.differences()).toEqual([expect.stringContaining('900002')]);
    local(a, `UPDATE items SET name = 'fixed' WHERE id = 900002`);
    await syncUntilEqual(a.agent, a.differences);
  });

  it('adds a column to the distributed table and fills it for every row', async () => {
    local(
      a,
      `ALTER TABLE items ADD COLUMN colour TEXT NOT NULL DEFAULT 'red'; UPDATE items SET colour = 'blue' WHERE id <= 10`,
    );
    await syncUntilEqual(a.agent, a.differences);
  });

  it('ends exactly equal after the source is restored from a backup and its agent state is lost', async () => {
    local(a, 'PRAGMA wal_checkpoint(TRUNCATE)');
    copyFileSync(a.dbPath, join(a.dir, 'backup.db'));
    // The lost timeline: changes, new rows and deletes that reach the cloud, then vanish with the restore.
    local(
      a,
      `UPDATE items SET note = 'lost timeline', price = price + 100 WHERE id <= 300;
              INSERT INTO items (id, name, price) SELECT 700000 + id, 'lost row', 1 FROM items WHERE id <= 50;
              DELETE FROM items WHERE id BETWEEN 1000 AND 1049;`,
    );
    await syncUntilEqual(a.agent, a.differences);
    await a.agent.close();
    for (const suffix of ['-wal', '-shm']) rmSync(a.dbPath + suffix, { force: true });
    copyFileSync(join(a.dir, 'backup.db'), a.dbPath);
    rmSync(join(a.dir, 'rowferry-state.json'), { force: true });
    // Writes after the restore reuse versions the cloud holds for the lost timeline's content.
    local(a, `UPDATE items SET note = 'written after the restore' WHERE id BETWEEN 200 AND 400;`);
    const agent = a.reopen();
    expect(await agent.cycle()).toMatchObject({ restore: 'to-marker' });
    await syncUntilEqual(agent, a.differences);
  });

  it("distributes a table registered later, and a second tenant's rows share the tables without touching the first's", async () => {
    b = await sampleSource(stack, 'tenant-b', 2_000, SAMPLE_TABLES, { batchRows: 500 });
    await syncUntilEqual(b.agent, b.differences);
    expect(await a.differences()).toEqual([]);
    const { rows } = await admin.query<{ table: string; column: string }>(
      `SELECT logicalrelid::regclass::text AS table, column_to_column_name(logicalrelid, partkey) AS column
         FROM pg_dist_partition WHERE partmethod = 'h' ORDER BY 1`,
    );
    expect(rows).toEqual(
      ['items', 'order_lines', 'tags'].map((t) => ({ table: `rowferry_data.${t}`, column: '_rf_database' })),
    );
    // The shards hold both tenants; each tenant's rows sit in the shards of one worker node or the other.
    const { rows: placed } = await admin.query<{ n: number }>(
      `SELECT count(DISTINCT nodeport)::int AS n FROM pg_dist_shard_placement p JOIN pg_dist_shard s USING (shardid)
        WHERE s.logicalrelid = 'rowferry_data.items'::regclass`,
    );
    expect(placed[0].n).toBe(2);
  });

  it('distributes, when migrating, a data table made before Citus was there (hash partitions and all)', async () => {
    await admin.query(`CREATE TABLE rowferry_data.made_before (_rf_customer uuid NOT NULL, _rf_database uuid NOT NULL,
                         id bigint NOT NULL, _rf_version bigint NOT NULL, PRIMARY KEY (_rf_database, id))
                       PARTITION BY HASH (_rf_database)`);
    for (let i = 0; i < 2; i++)
      await admin.query(
        `CREATE TABLE rowferry_data.made_before_p${i} PARTITION OF rowferry_data.made_before FOR VALUES WITH (MODULUS 2, REMAINDER ${i})`,
      );
    await migrate(citus.url);
    const { rows } = await admin.query<{ column: string }>(
      `SELECT column_to_column_name(logicalrelid, partkey) AS column FROM pg_dist_partition
        WHERE logicalrelid = 'rowferry_data.made_before'::regclass`,
    );
    expect(rows).toEqual([{ column: '_rf_database' }]);
    const { rows: logins } = await admin.query<{ rolname: string }>(
      `SELECT rolname FROM pg_roles WHERE rolcanlogin AND rolname IN ('rowferry_owner', 'rowferry_tenant', 'rowferry_app')
        ORDER BY 1`,
    );
    expect(logins.map((r) => r.rolname)).toEqual(['rowferry_owner', 'rowferry_tenant']);
    await admin.query('DROP TABLE rowferry_data.made_before');
  });

  it('lets a tenant scope on the worker nodes read and write only its own rows', async () => {
    const service = new pg.Client({ connectionString: stack.env.DATABASE_URL });
    await service.connect();
    try {
      await service.query(`BEGIN; SET LOCAL citus.propagate_set_commands = 'local'; SET LOCAL ROLE rowferry_tenant;
                           SET LOCAL rowferry.database_id = '${b.creds.databaseId}'`);
      const seen = await service.query<{ own: number; other: number }>(
        `SELECT count(*) FILTER (WHERE _rf_database = $1)::int AS own,
                count(*) FILTER (WHERE _rf_database = $2)::int AS other FROM rowferry_data.items`,
        [b.creds.databaseId, a.creds.databaseId],
      );
      expect(seen.rows[0]).toEqual({ own: 2000, other: 0 });
      const deleted = await service.query(`DELETE FROM rowferry_data.items WHERE _rf_database = $1`, [
        a.creds.databaseId,
      ]);
      expect(deleted.rowCount).toBe(0);
      await expect(
        service.query(
          `INSERT INTO rowferry_data.items (_rf_customer, _rf_database, id, name, _rf_version) VALUES ($1, $2, 1, 'x', 1)`,
          [a.creds.customerId, a.creds.databaseId],
        ),
      ).rejects.toThrow(/row-level security/);
    } finally {
      await service.query('ROLLBACK').catch(() => undefined);
      await service.end();
    }
    // Through the API, B's secret opens nothing of A's.
    for (const path of ['/tables', '/tables/items', '/tables/items/quarantine'])
      expect((await call(stack, 'GET', `${tenantPath(a.creds)}${path}`, { secret: b.creds.secret })).status).toBe(403);
    expect(await a.differences()).toEqual([]);
  });
});
