import { createHash } from 'node:crypto';
import type { TableDefinition } from '#contracts';
import { pgType } from './column-types.js';
import type { Queryable } from './queryable.js';
import { DATA_SCHEMA, TENANT_ROLE, dataTable, quoteIdent } from './sql-identifiers.js';

/** Hash partitions per data table; a tenant's rows all land in one. */
export const PARTITIONS = 16;

/** A table definition that cannot live in the shared remote table; names the table and what differs. */
export class IncompatibleTableError extends Error {}

/**
 * Creates the shared remote table for `table` if it does not exist, or adds the columns this definition brings.
 * Tenant columns first, then source columns, then the row's version; primary key = tenant + source key; hash
 * partitioned by tenant; row-level security by tenant (design §6). Serialised per table name by an advisory lock,
 * since two tenants may register the same name at once.
 */
export async function ensureDataTable(db: Queryable, table: string, def: TableDefinition): Promise<void> {
  await db.query('BEGIN');
  try {
    await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${DATA_SCHEMA}.${table}`]);
    const existing = await readColumns(db, table);
    if (existing.size === 0) await createDataTable(db, table, def);
    else await extendDataTable(db, table, def, existing);
    await db.query('COMMIT');
  } catch (err) {
    await db.query('ROLLBACK');
    throw err;
  }
}

async function createDataTable(db: Queryable, table: string, def: TableDefinition): Promise<void> {
  const t = dataTable(table);
  const keySet = new Set(def.key);
  const columns = def.columns.map((c) => `${quoteIdent(c.name)} ${pgType(c)}${keySet.has(c.name) ? ' NOT NULL' : ''}`);
  await db.query(
    `CREATE TABLE ${t} (
       _rf_customer uuid NOT NULL,
       _rf_database uuid NOT NULL,
       ${columns.join(',\n       ')},
       _rf_version bigint NOT NULL,
       _rf_modified_at timestamptz NOT NULL DEFAULT now(),
       _rf_created_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (_rf_database, ${def.key.map(quoteIdent).join(', ')})
     ) PARTITION BY HASH (_rf_database)`,
  );
  const stem = `rf_${createHash('md5').update(table).digest('hex').slice(0, 16)}`;
  for (let i = 0; i < PARTITIONS; i++) {
    await db.query(
      `CREATE TABLE ${quoteIdent(DATA_SCHEMA)}.${quoteIdent(`${stem}_p${i}`)} PARTITION OF ${t} FOR VALUES WITH (MODULUS ${PARTITIONS}, REMAINDER ${i})`,
    );
  }
  await db.query(`CREATE INDEX ${quoteIdent(`${stem}_version`)} ON ${t} (_rf_database, _rf_version)`);
  await db.query(`ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY`);
  await db.query(
    `CREATE POLICY tenant_isolation ON ${t} USING (_rf_database = rowferry_current_tenant()) WITH CHECK (_rf_database = rowferry_current_tenant())`,
  );
  await db.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${t} TO ${quoteIdent(TENANT_ROLE)}`);
}

async function extendDataTable(db: Queryable, table: string, def: TableDefinition, existing: Map<string, string>): Promise<void> {
  const remoteKey = await readPrimaryKey(db, table);
  const wantedKey = ['_rf_database', ...def.key];
  if (remoteKey.join() !== wantedKey.join())
    throw new IncompatibleTableError(
      `table "${table}" already exists remotely with key (${remoteKey.slice(1).join(', ')}); this database's key (${def.key.join(', ')}) differs`,
    );
  for (const c of def.columns) {
    const have = existing.get(c.name);
    if (have === undefined) {
      await db.query(`ALTER TABLE ${dataTable(table)} ADD COLUMN ${quoteIdent(c.name)} ${pgType(c)}`);
    } else if (have !== pgType(c)) {
      throw new IncompatibleTableError(`column "${c.name}" of table "${table}" is ${have} remotely; this database declares ${pgType(c)}`);
    }
  }
}

async function readColumns(db: Queryable, table: string): Promise<Map<string, string>> {
  const { rows } = await db.query<{ name: string; type: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_attribute a
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`,
    [dataTable(table)],
  );
  return new Map(rows.map((r) => [r.name, r.type]));
}

async function readPrimaryKey(db: Queryable, table: string): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT a.attname AS name
       FROM pg_index i
       JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, pos) ON true
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = to_regclass($1) AND i.indisprimary
      ORDER BY k.pos`,
    [dataTable(table)],
  );
  return rows.map((r) => r.name);
}

