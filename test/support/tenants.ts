import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { SyncAgent } from '../../apps/agent/src/agent.js';
import { configuredAgent, type Credentials } from '../../scripts/lib/agent-config.js';
import { MariadbTenant } from '../../scripts/lib/chaos/mariadb-tenant.js';
import { PostgresTenant } from '../../scripts/lib/chaos/postgres-tenant.js';
import { Random } from '../../scripts/lib/chaos/random.js';
import { SqliteTenant } from '../../scripts/lib/chaos/sqlite-tenant.js';
import type { ChaosTenant } from '../../scripts/lib/chaos/tenant.js';
import { scratchDatabase } from '../../scripts/lib/databases.js';
import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';

export const ENGINES = ['sqlite', 'postgres', 'mariadb'] as const;
export type Engine = (typeof ENGINES)[number];

/**
 * A source database of one engine on this machine's shared servers (three tables with integer, composite and text
 * keys and awkward values: scripts/lib/chaos/tenant.ts), made for one test file and dropped after it.
 */
async function tenantOf(engine: Engine, dir: string): Promise<{ tenant: ChaosTenant; drop: () => Promise<void> }> {
  if (engine === 'sqlite') return { tenant: new SqliteTenant(engine, dir, 'shop'), drop: async () => undefined };
  const db = await scratchDatabase(engine, 'src');
  const tenant =
    engine === 'postgres'
      ? new PostgresTenant(engine, dir, 'pg', db.url)
      : new MariadbTenant(engine, dir, 'my', db.url);
  return { tenant, drop: db.drop };
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
