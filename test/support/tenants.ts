import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { SyncAgent } from '../../apps/agent/src/agent.js';
import { quoteIdent } from '#contracts';
import { databaseUrl } from '#persistence';
import { configuredAgent, type Credentials } from '../../scripts/lib/agent-config.js';
import { MariadbTenant } from '../../scripts/lib/chaos/mariadb-tenant.js';
import { PostgresTenant } from '../../scripts/lib/chaos/postgres-tenant.js';
import { Random } from '../../scripts/lib/chaos/random.js';
import { SqliteTenant } from '../../scripts/lib/chaos/sqlite-tenant.js';
import type { ChaosTenant } from '../../scripts/lib/chaos/tenant.js';
import { createMariaDatabase, createPgDatabase } from '../../scripts/lib/databases.js';
import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';

export const ENGINES = ['sqlite', 'postgres', 'mariadb'] as const;
export type Engine = (typeof ENGINES)[number];

const MYSQL_SERVER = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';

/**
 * A source database of one engine on this machine's shared servers (three tables with integer, composite and text
 * keys and awkward values: scripts/lib/chaos/tenant.ts), made for one test file and dropped after it.
 */
async function tenantOf(engine: Engine, dir: string): Promise<{ tenant: ChaosTenant; drop: () => Promise<void> }> {
  const name = `rowferry_src_${randomBytes(4).toString('hex')}`;
  if (engine === 'sqlite') return { tenant: new SqliteTenant(engine, dir, 'shop'), drop: async () => undefined };
  if (engine === 'postgres') {
    const admin = databaseUrl().replace(/\/[^/]*$/, '/postgres');
    await createPgDatabase(admin, name);
    return {
      tenant: new PostgresTenant(engine, dir, 'pg', admin.replace(/\/postgres$/, `/${name}`)),
      drop: async () => {
        const c = new pg.Client({ connectionString: admin });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
        await c.end();
      },
    };
  }
  await createMariaDatabase(MYSQL_SERVER, name);
  return {
    tenant: new MariadbTenant(engine, dir, 'my', `${MYSQL_SERVER}/${name}`),
    drop: async () => {
      const c = await mysql.createConnection(MYSQL_SERVER);
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}

/** A tenant of one engine synced through a stack of its own: what a test of the whole path starts from. */
export interface SyncedTenant {
  stack: Stack;
  tenant: ChaosTenant;
  creds: Credentials;
  agent: SyncAgent;
  /** The remote database, as its owner (every tenant's rows). */
  remote: pg.Client;
  /** Every column of every row of every table, local against remote: empty when equal. */
  differences(): Promise<string[]>;
  close(): Promise<void>;
}

/** Starts a stack, makes and fills a tenant's source database, tracks it, and syncs it until equal. */
export async function syncedTenant(
  engine: Engine,
  label: string,
  seed: number,
  settings: Record<string, unknown>,
  tracking: { sideTable?: boolean } = {},
): Promise<SyncedTenant> {
  const stack = await startStack(`${label}${engine}`, 2);
  const dir = mkdtempSync(join(tmpdir(), `rowferry-${label}-${engine}-`));
  const { tenant, drop } = await tenantOf(engine, dir);
  await tenant.setup(new Random(seed));
  await tenant.installTracking(tracking.sideTable);
  const creds = await enrollDatabase(stack, `${label}-${engine}`);
  const agent = configuredAgent(stack, dir, creds, {
    source: tenant.sourceConfig,
    tables: tenant.tables,
    ...settings,
  });
  const remote = new pg.Client({ connectionString: stack.databaseUrl });
  await remote.connect();
  const differences = async () => (await tenant.compare(stack.databaseUrl, creds.databaseId)).differences;
  for (let pass = 0; pass < 2; pass++) await agent.cycle();
  return {
    stack,
    tenant,
    creds,
    agent,
    remote,
    differences,
    close: async () => {
      await agent.close();
      await tenant.close();
      await remote.end();
      await stack.stop();
      await drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
