import { createHash } from 'node:crypto';
import { columnTypeName, commonColumn, quoteIdent, type ColumnDef, type TableDefinition } from '#contracts';
import { onCitus } from './citus.js';
import { columnOfPgType, pgType } from './column-types.js';
import type { Queryable } from './queryable.js';
import { VALUE_SETTINGS } from './tenant-transaction.js';
import { DATA_SCHEMA, OWNER_ROLE, TENANT_ROLE, dataTable } from './sql-identifiers.js';

/** Key column types a shared key column may be widened among (docs/sources.md, Fleets). */
const KEY_STRING_TYPES: readonly ColumnDef['type'][] = ['text', 'char'];

/** Hash partitions per data table; a tenant's rows all land in one. */
export const PARTITIONS = 16;

/** A table definition that cannot live in the shared remote table; names the table and what differs. */
export class IncompatibleTableError extends Error {}

/**
 * Creates the shared remote table for `table` if it does not exist, or adds the columns this definition brings, in
 * its own transaction (see shapeDataTable).
 */
export async function ensureDataTable(db: Queryable, table: string, def: TableDefinition): Promise<void> {
  await db.query('BEGIN');
  try {
    await shapeDataTable(db, table, def);
    await db.query('COMMIT');
  } catch (err) {
    await db.query('ROLLBACK');
    throw err;
  }
}

/**
 * Creates the shared remote table for `table` if it does not exist, or adds the columns this definition brings, in
 * the caller's transaction. Tenant columns first, then source columns, then the row's version; primary key = tenant
 * + source key; hash partitioned by tenant (on Citus: distributed by tenant); row-level security by tenant
 * (docs/architecture.md, Remote storage). Serialised per table name by an advisory lock, since two tenants may
 * register the same name at once. A refusal never describes the shared table beyond the column this database
 * declared: other tenants' schemas are theirs. `registered`: the columns as this database registered them before.
 */
export async function shapeDataTable(
  tx: Queryable,
  table: string,
  def: TableDefinition,
  registered: readonly ColumnDef[] = [],
): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${DATA_SCHEMA}.${table}`]);
  await tx.query(VALUE_SETTINGS);
  // The data schema's owner makes the change (the connecting role owns nothing), and only this change.
  await tx.query(`SET LOCAL ROLE ${quoteIdent(OWNER_ROLE)}`);
  const existing = await readColumns(tx, table);
  if (existing.size === 0) await createDataTable(tx, table, def);
  else await extendDataTable(tx, table, def, existing, registered);
  await tx.query('RESET ROLE');
}

async function createDataTable(db: Queryable, table: string, def: TableDefinition): Promise<void> {
  const t = dataTable(table);
  const keySet = new Set(def.key);
  const stem = internalName(table);
  const citus = await onCitus(db);
  const columns = def.columns.map((c) => `${quoteIdent(c.name)} ${pgType(c)}${keySet.has(c.name) ? ' NOT NULL' : ''}`);
  await db.query(
    `CREATE TABLE ${t} (
       _rf_customer uuid NOT NULL,
       _rf_database uuid NOT NULL,
       ${columns.join(',\n       ')},
       _rf_version bigint NOT NULL,
       _rf_modified_at timestamptz NOT NULL DEFAULT now(),
       _rf_created_at timestamptz NOT NULL DEFAULT now(),
       CONSTRAINT ${quoteIdent(`${stem}_pkey`)} PRIMARY KEY (_rf_database, ${def.key.map(quoteIdent).join(', ')})
     )${citus ? '' : ' PARTITION BY HASH (_rf_database)'}`,
  );
  // On Citus the table's shards split the tenants instead (below): partitions too would make 16 × 32 shards a table.
  for (let i = 0; !citus && i < PARTITIONS; i++) {
    await db.query(
      `CREATE TABLE ${quoteIdent(DATA_SCHEMA)}.${quoteIdent(`${stem}_p${i}`)} PARTITION OF ${t} FOR VALUES WITH (MODULUS ${PARTITIONS}, REMAINDER ${i})`,
    );
  }
  await db.query(`CREATE INDEX ${quoteIdent(`${stem}_version`)} ON ${t} (_rf_database, _rf_version)`);
  // FORCEd, so that even the owner reads nothing without a tenant named.
  await db.query(`ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY`);
  await db.query(
    `CREATE POLICY tenant_isolation ON ${t} USING (_rf_database = rowferry_current_tenant()) WITH CHECK (_rf_database = rowferry_current_tenant())`,
  );
  await db.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${t} TO ${quoteIdent(TENANT_ROLE)}`);
  // Distributed by tenant: a tenant's rows live in one shard, so each job's statements go to one worker node whole.
  if (citus) await db.query(`SELECT create_distributed_table($1, '_rf_database')`, [t]);
}

async function extendDataTable(
  db: Queryable,
  table: string,
  def: TableDefinition,
  existing: Map<string, string>,
  registered: readonly ColumnDef[],
): Promise<void> {
  const remoteKey = await readPrimaryKey(db, table);
  const wantedKey = ['_rf_database', ...def.key];
  if (remoteKey.join() !== wantedKey.join())
    throw new IncompatibleTableError(
      `table "${table}" is shared by name with other databases, and its key there is not (${def.key.join(', ')}): sync it under another name, or with the same key`,
    );
  for (const c of def.columns) {
    const have = existing.get(c.name);
    // This database's column as the shared column took it before (shared columns only widen), or an earlier agent's
    // text now declared as the type it was the text of (mergeDefinition): the shared text column still holds it.
    const before = registered.find((r) => r.name === c.name);
    const kept =
      before && (columnTypeName(before) === columnTypeName(c) || (before.type === 'text' && have === 'text'));
    if (have !== undefined && kept) continue;
    if (have === undefined) {
      await addColumn(db, table, c);
    } else if (have !== pgType(c)) {
      // Widened to a type both fit in without loss, when there is one. A key column only among the string types
      // (varchar(n) → text, char(n) → text without its padding): every key stays distinct, and a key of its type.
      const shared = columnOfPgType(c.name, have);
      const found = shared && commonColumn(shared, c);
      const stringKey = shared && KEY_STRING_TYPES.includes(shared.type) && KEY_STRING_TYPES.includes(c.type);
      const common = found && (!def.key.includes(c.name) || stringKey) ? found : undefined;
      if (!common)
        throw new IncompatibleTableError(
          `column "${c.name}" of table "${table}" is shared by name with other databases, with a type other than ${pgType(c)} that it cannot be widened to: sync it under another name (remoteName), or with the same type`,
        );
      if (pgType(common) !== have) await widenColumn(db, table, shared!, common);
    }
  }
}

async function widenColumn(db: Queryable, table: string, from: ColumnDef, c: ColumnDef): Promise<void> {
  const using = widenedValueSql(from.type, c.type, quoteIdent(c.name));
  try {
    await db.query(
      `ALTER TABLE ${dataTable(table)} ALTER COLUMN ${quoteIdent(c.name)} TYPE ${pgType(c)}${using ? ` USING ${using}` : ''}`,
    );
  } catch (err) {
    if ((err as { code?: string }).code !== '57014') throw err; // statement timeout: a rewrite of a big table
    throw new IncompatibleTableError(
      `column "${c.name}" of the shared table "${table}" must be widened to ${columnTypeName(c)}, which rewrites the table and took longer than allowed: ops can widen it by hand (docs/sources.md, Fleets), or sync it under another name`,
    );
  }
}

/**
 * A stored value as the widened column holds it, where the plain cast would depend on the session's TimeZone or
 * DateStyle (which the rewrite on Citus's worker nodes does not take from the coordinator): a timestamp is that moment
 * in UTC; a date or time written as text is printed as PostgreSQL prints it under ISO and UTC, as the services write
 * it from then on. Undefined where the plain cast is exact everywhere.
 */
function widenedValueSql(from: ColumnDef['type'], to: ColumnDef['type'], column: string): string | undefined {
  if (from === 'timestamp' && to === 'timestamptz') return `${column} AT TIME ZONE 'UTC'`;
  if (to !== 'text') return undefined;
  if (from === 'date') return isoText(column, 'YYYY-MM-DD', `${column} < '0001-01-01'`, '');
  if (from === 'timestamp')
    return isoText(column, 'YYYY-MM-DD HH24:MI:SS.US', `${column} < '0001-01-01'`, '', TRAILING_ZEROS);
  if (from === 'timestamptz')
    return isoText(
      `(${column} AT TIME ZONE 'UTC')`,
      'YYYY-MM-DD HH24:MI:SS.US',
      `${column} < '0001-01-01 00:00+00'`,
      '+00',
      TRAILING_ZEROS,
    );
  return undefined;
}

/** Microseconds' trailing zeros, and the point when none is left: ISO prints 12:00:00 and 12:00:00.5. */
const TRAILING_ZEROS = `'\\.?0+$'`;

/**
 * A date or time as ISO prints it, whatever the DateStyle: `format` by to_char, `zone` after the time, ` BC` last
 * where `bc`; infinity as itself (to_char has no text for it).
 */
function isoText(value: string, format: string, bc: string, zone: string, trailing?: string): string {
  const text = trailing
    ? `regexp_replace(to_char(${value}, '${format}'), ${trailing}, '')`
    : `to_char(${value}, '${format}')`;
  return `CASE WHEN isfinite(${value}) THEN ${text} || '${zone}' || CASE WHEN ${bc} THEN ' BC' ELSE '' END ELSE ${value}::text END`;
}

async function addColumn(db: Queryable, table: string, c: ColumnDef): Promise<void> {
  try {
    await db.query(`ALTER TABLE ${dataTable(table)} ADD COLUMN ${quoteIdent(c.name)} ${pgType(c)}`);
  } catch (err) {
    if ((err as { code?: string }).code !== '54011') throw err; // too many columns
    throw new IncompatibleTableError(
      `table "${table}" is shared by name with other databases and has no room for column "${c.name}": sync it under another name`,
    );
  }
}

/**
 * The stem of a table's partitions and indexes, which share the data schema's namespace with the tables: it holds
 * a "$", which no registered table name can, so no tenant can take an internal object's name.
 */
export function internalName(table: string): string {
  return `rf$${createHash('md5').update(table).digest('hex').slice(0, 16)}`;
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
