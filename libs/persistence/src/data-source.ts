import { DataSource, type DataSourceOptions } from 'typeorm';
import { databaseUrl } from './config.js';
import { prepareCitus } from './citus.js';
import { CONTROL_ENTITIES } from './entities/index.js';
import { quoteIdent } from '#contracts';
import { ControlSchema1764130000000 } from './migrations/1764130000000-control-schema.js';
import { BatchesAndQuarantine1764140000000 } from './migrations/1764140000000-batches-and-quarantine.js';
import { SchemaErrors1764150000000 } from './migrations/1764150000000-schema-errors.js';
import { QuarantineLongKeys1764160000000 } from './migrations/1764160000000-quarantine-long-keys.js';
import { RestoresAndBackfills1764170000000 } from './migrations/1764170000000-restores-and-backfills.js';
import { InternalNames1764180000000 } from './migrations/1764180000000-internal-names.js';
import { LeastPrivilege1764190000000 } from './migrations/1764190000000-least-privilege.js';
import { TenantFunctionParallelSafe1764200000000 } from './migrations/1764200000000-tenant-function-parallel-safe.js';
import { OpsStatusReads1764210000000 } from './migrations/1764210000000-ops-status-reads.js';
import { StandingsFunction1764220000000 } from './migrations/1764220000000-standings-function.js';

export const CONTROL_MIGRATIONS = [
  ControlSchema1764130000000,
  BatchesAndQuarantine1764140000000,
  SchemaErrors1764150000000,
  QuarantineLongKeys1764160000000,
  RestoresAndBackfills1764170000000,
  InternalNames1764180000000,
  LeastPrivilege1764190000000,
  TenantFunctionParallelSafe1764200000000,
  OpsStatusReads1764210000000,
  StandingsFunction1764220000000,
];

/** TypeORM options for the control schema. Never `synchronize`: the schema changes only through migrations. */
export function controlDataSourceOptions(url = databaseUrl()): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: CONTROL_ENTITIES,
    migrations: CONTROL_MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    migrationsTransactionMode: 'all',
  };
}

/**
 * Runs pending migrations, then readies Citus when it is there (prepareCitus); creates the database first if it does
 * not exist yet.
 */
export async function migrate(url = databaseUrl()): Promise<string[]> {
  await createDatabaseIfMissing(url);
  const ds = new DataSource(controlDataSourceOptions(url));
  await ds.initialize();
  try {
    const ran = await ds.runMigrations();
    await withClient(url, prepareCitus);
    return ran.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}

async function withClient<T>(url: string, work: (c: import('pg').Client) => Promise<T>): Promise<T> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function createDatabaseIfMissing(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  await withClient(admin.toString(), async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
  });
}
