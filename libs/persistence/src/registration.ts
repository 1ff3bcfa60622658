import type { Pool, PoolClient } from 'pg';
import {
  columnTypeName,
  mergeDefinition,
  quoteIdent,
  type ColumnDef,
  type TableDefinition,
  type TenantRef,
} from '#contracts';
import { asDeclaredSql } from './column-types.js';
import { IncompatibleTableError, shapeDataTable } from './data-tables.js';
import { tenantLiterals } from './sql-literals.js';
import { dataTable } from './sql-identifiers.js';
import { tenantSettings, withTenant } from './tenant-transaction.js';

export interface RegistrationLimits {
  /** Tables one database may register. */
  maxTables: number;
  /** Columns one database may declare for a table (all its definitions together). */
  maxColumns: number;
  /** How long the DDL may wait for the shared table's lock before giving up (others' writes queue behind it). */
  lockTimeoutMs: number;
}

export type RegistrationOutcome =
  | { kind: 'registered'; definition: TableDefinition; added: string[] }
  /** Refused for this database (a changed key or type, a shared table that cannot take it): nothing changed. */
  | { kind: 'refused'; reason: string }
  /** Over one of the limits: nothing changed. */
  | { kind: 'over-limit'; reason: string }
  /** The shared table's lock was not free within the lock timeout: nothing changed, retry later. */
  | { kind: 'busy'; reason: string };

/**
 * Registers (or extends) a table for a database, in one transaction serialised per database: the table count is
 * checked, the shared data table shaped, the registration merged and its stats created, so concurrent PUTs of one
 * table both succeed and a limit cannot be overshot. `beforeChange` runs only when a change (new table, new
 * columns) is about to be made: the caller's rate limit, which may throw. A refusal is remembered on the
 * registration (shown with its version info) while the table keeps syncing as registered. The transaction names
 * the tenant, for the row-level security of the control tables.
 */
export async function registerTable(
  pool: Pool,
  tenant: TenantRef,
  table: string,
  def: TableDefinition,
  limits: RegistrationLimits,
  beforeChange: () => Promise<void>,
): Promise<RegistrationOutcome> {
  const tx = await pool.connect();
  let outcome: RegistrationOutcome;
  try {
    await tx.query('BEGIN');
    await tx.query(`SELECT set_config('lock_timeout', $1, true), set_config('rowferry.database_id', $2, true)`, [
      `${limits.lockTimeoutMs}ms`,
      tenant.databaseId,
    ]);
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`rowferry.registration:${tenant.databaseId}`]);
    const { rows } = await tx.query<{ columns: ColumnDef[]; key_columns: string[] }>(
      'SELECT columns, key_columns FROM registered_tables WHERE database_id = $1 AND table_name = $2',
      [tenant.databaseId, table],
    );
    const existing = rows[0] && { columns: rows[0].columns, key: rows[0].key_columns };
    outcome = await register(tx, tenant, table, existing, def, limits, beforeChange);
    await tx.query(outcome.kind === 'registered' ? 'COMMIT' : 'ROLLBACK');
  } catch (err) {
    await tx.query('ROLLBACK').catch(() => undefined);
    if (err instanceof IncompatibleTableError) outcome = { kind: 'refused', reason: err.message };
    else if ((err as { code?: string }).code === '55P03')
      outcome = {
        kind: 'busy',
        reason: `the shared table "${table}" is busy (its lock was not free within ${limits.lockTimeoutMs} ms): nothing was changed, retry in a few seconds`,
      };
    else throw err;
  } finally {
    tx.release();
  }
  if (outcome.kind === 'refused')
    await withTenant(pool, tenant, (c) =>
      c.query('UPDATE registered_tables SET schema_error = $3 WHERE database_id = $1 AND table_name = $2', [
        tenant.databaseId,
        table,
        outcome.reason,
      ]),
    );
  return outcome;
}

async function register(
  tx: PoolClient,
  tenant: TenantRef,
  table: string,
  existing: { columns: ColumnDef[]; key: string[] } | undefined,
  def: TableDefinition,
  limits: RegistrationLimits,
  beforeChange: () => Promise<void>,
): Promise<RegistrationOutcome> {
  const merged = mergeDefinition(table, existing, def);
  if (!merged.ok) return { kind: 'refused', reason: merged.reason };
  const { definition, added, unpadded, named } = merged;
  if (definition.columns.length > limits.maxColumns)
    return {
      kind: 'over-limit',
      reason: `table "${table}" would have ${definition.columns.length} columns; a table may have at most ${limits.maxColumns}`,
    };
  if (!existing) {
    const { rows } = await tx.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM registered_tables WHERE database_id = $1',
      [tenant.databaseId],
    );
    if (rows[0].n >= limits.maxTables)
      return {
        kind: 'over-limit',
        reason: `this database already has ${rows[0].n} tables registered; it may have at most ${limits.maxTables}`,
      };
  }
  // A column this database widened (a new version of its application) widens the shared column too.
  const retyped = existing?.columns.some((had) => {
    const now = definition.columns.find((c) => c.name === had.name);
    return now !== undefined && columnTypeName(now) !== columnTypeName(had);
  });
  if (!existing || added.length || retyped) {
    await beforeChange();
    await shapeDataTable(tx, table, definition, existing?.columns);
  }
  if (unpadded.length) await unpad(tx, tenant, table, unpadded);
  if (named.length) await readableAsNamed(tx, tenant, table, named);
  await tx.query(
    `INSERT INTO registered_tables (database_id, table_name, columns, key_columns)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (database_id, table_name) DO UPDATE SET columns = EXCLUDED.columns, key_columns = EXCLUDED.key_columns, schema_error = NULL, updated_at = now()`,
    [tenant.databaseId, table, JSON.stringify(definition.columns), JSON.stringify(definition.key)],
  );
  await tx.query(
    'INSERT INTO table_stats (database_id, table_name, customer_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    [tenant.databaseId, table, tenant.customerId],
  );
  // The existing rows need the new columns' values: remembered here, so nothing the agent loses can lose it.
  if (added.length)
    await tx.query(`UPDATE table_stats SET backfill_from = 0 WHERE database_id = $1 AND table_name = $2`, [
      tenant.databaseId,
      table,
    ]);
  return { kind: 'registered', definition, added };
}

/**
 * A char(n) column earlier agents sent as padded text(n) is read without its padding from now on: the tenant's stored
 * values lose it too, so that its rows compare, and answer a WHERE, as the source's do (its keys stay distinct, as
 * char compares). As the tenant, under the registration's statement timeout.
 */
async function unpad(tx: PoolClient, tenant: TenantRef, table: string, columns: string[]): Promise<void> {
  await tx.query(tenantSettings(tenant));
  const set = columns.map((c) => `${quoteIdent(c)} = rtrim(${quoteIdent(c)}, ' ')`).join(', ');
  const padded = columns.map((c) => `${quoteIdent(c)} LIKE '% '`).join(' OR ');
  try {
    await tx.query(
      `UPDATE ${dataTable(table)} SET ${set}, _rf_modified_at = now() WHERE _rf_database = $1 AND (${padded})`,
      [tenant.databaseId],
    );
  } catch (err) {
    if ((err as { code?: string }).code !== '57014') throw err; // statement timeout: too many rows for one statement
    throw new IncompatibleTableError(
      `table "${table}" was registered by an earlier agent with ${columns.join(', ')} as padded text; unpadding this database's rows took longer than allowed: ops can run, as the data schema's owner at a quiet hour, UPDATE ${dataTable(table)} SET ${set} WHERE _rf_database = '${tenant.databaseId}', and the next registration goes on (docs/sources.md, Types and their meaning)`,
    );
  }
  await tx.query('RESET ROLE');
}

/**
 * A column an earlier agent declared text, now declared as the type it held the text of: the tenant's stored values
 * must read as that type (its content check reads them so), else the takeover is refused, saying what to do (a
 * money column held its lc_monetary text, `$12.50`, which numeric cannot read). As the tenant, in a savepoint.
 */
async function readableAsNamed(tx: PoolClient, tenant: TenantRef, table: string, columns: ColumnDef[]) {
  await tx.query(tenantSettings(tenant));
  await tx.query('SAVEPOINT named');
  try {
    const reads = columns.map((c) => `count(${asDeclaredSql(c, quoteIdent(c.name))})`).join(', ');
    await tx.query(`SELECT ${reads} FROM ${dataTable(table)} WHERE _rf_database = $1`, [tenant.databaseId]);
    await tx.query('RELEASE SAVEPOINT named');
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (!code.startsWith('22') && code !== '57014') throw err;
    await tx.query('ROLLBACK TO SAVEPOINT named');
    const names = columns.map((c) => `"${c.name}" as ${columnTypeName(c)}`).join(', ');
    throw new IncompatibleTableError(
      `table "${table}" was registered by an earlier agent with text where it now declares ${names}, and this database's stored values cannot all be read so (${(err as Error).message}): sync it under a new remoteName (docs/sources.md, Types and their meaning)`,
    );
  }
  await tx.query('RESET ROLE');
}

/** What a job needs of a table's registration: its columns and key, as the agent declared them. */
export interface TableShape {
  columns: ColumnDef[];
  keyColumns: string[];
}

/**
 * One table's registration, for TenantScope.readOnce: every upload, delete and check reads it, so it goes with its
 * transaction in one round trip (its values are written in: tenantLiterals).
 */
export function tableShapeSql(tenant: TenantRef, table: string): string {
  const literal = tenantLiterals(tenant, table);
  return `SELECT columns, key_columns AS "keyColumns" FROM registered_tables
           WHERE database_id = ${literal.database} AND table_name = ${literal.table}`;
}
