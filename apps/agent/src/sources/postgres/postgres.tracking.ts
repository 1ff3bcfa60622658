import type pg from 'pg';
import { quoteIdent as q } from '#contracts';
import type { SourceTable } from '../source.js';
import { childIndexName, inheritanceChildren, refuseTrackedElsewhere, versionIndex } from './postgres.inheritance.js';
import { deleteLogName, sideTableName, type TableTracking } from '../tracked-source.js';

export const TRACKING_SCHEMA = '_rowferry';
/** The database's next version, taken after the transaction id (PostgresSource.safeWatermark): every version's. */
export const NEXT_VERSION = `${TRACKING_SCHEMA}.next_version()`;

/** One of rowferry's tracking tables (delete log, side table) as written in SQL. */
export function trackingTable(name: string): string {
  return `${TRACKING_SCHEMA}.${q(name)}`;
}

/**
 * What `track` installs in a PostgreSQL database (docs/sources.md, PostgreSQL), and what a pass adds to a table's new
 * inheritance children. `vc` is the version column; `tableSql` writes an application's table in SQL.
 */
export class PostgresTracking {
  private readonly vcq: string;

  constructor(
    private readonly vc: string,
    private readonly tableSql: (name: string) => string,
  ) {
    this.vcq = q(vc);
  }

  /**
   * Counter, functions, and per table its version column (or side table), triggers, index and delete log, on the
   * table and on each of its inheritance children, in the caller's transaction. Says what it did, and which relations
   * it numbered rows of (to ANALYZE once committed).
   */
  async install(c: pg.PoolClient, tables: TableTracking[]): Promise<{ done: string[]; numbered: string[] }> {
    const done: string[] = [];
    const numbered: string[] = [];
    await c.query(`CREATE SEQUENCE IF NOT EXISTS ${TRACKING_SCHEMA}.version_seq AS bigint`);
    // Every value from the sequence itself: a session's cached values would be handed out later, out of the counter's
    // sight (trackedCounter refuses a sequence altered so).
    await c.query(`ALTER SEQUENCE ${TRACKING_SCHEMA}.version_seq CACHE 1`);
    // The transaction id is taken before the version, so a writer holding a version already holds the lock on its id
    // that the safe watermark looks for.
    await c.query(`CREATE OR REPLACE FUNCTION ${NEXT_VERSION} RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
      BEGIN PERFORM pg_current_xact_id(); RETURN nextval('${TRACKING_SCHEMA}.version_seq'); END $$`);
    await c.query(`CREATE OR REPLACE FUNCTION ${TRACKING_SCHEMA}.stamp_version() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN NEW.${this.vcq} := ${NEXT_VERSION}; RETURN NEW; END $$`);
    for (const tracked of tables) {
      const t = this.tableSql(tracked.name); // described already: it exists
      const children = await inheritanceChildren(c, t, deleteFunction(tracked.name), this.vc);
      refuseTrackedElsewhere(tracked.name, children);
      const { rows } = await c.query<{ elsewhere: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass($1) AND tgname = '_rowferry_delete'
                          AND tgfoid IS DISTINCT FROM to_regproc($2)) AS elsewhere`,
        [t, deleteFunction(tracked.name)],
      );
      if (rows[0].elsewhere)
        throw new Error(
          `table "${tracked.name}" is already tracked as an inheritance child of another table: a row is synced once, so sync the parent or the child, not both`,
        );
      const foreign = children.filter((ch) => ch.foreign).map((ch) => ch.sql);
      if (foreign.length && !tracked.sideTable)
        throw new Error(
          `table "${tracked.name}" has foreign tables as inheritance children (${foreign.join(', ')}), which cannot take a version column: track it with a side table (--side-table); their rows' changes are then found by the difference check, once per verifyEvery`,
        );
      const local = [t, ...children.filter((ch) => !ch.foreign).map((ch) => ch.sql)];
      const childList = local.length > 1 ? ` (and on its inheritance children ${local.slice(1).join(', ')})` : '';
      if (tracked.sideTable) {
        // Writers wait until the triggers are in place: a row deleted between numbering and triggers would keep its
        // side row for ever.
        for (const relation of local) await c.query(`LOCK TABLE ONLY ${relation} IN SHARE ROW EXCLUSIVE MODE`);
        const n = await this.installSideTable(c, tracked);
        if (n) done.push(`${tracked.name}: versioned ${n} existing rows in ${sideTableName(tracked.name)}`);
        numbered.push(trackingTable(sideTableName(tracked.name)));
      } else {
        await c.query(`ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS ${this.vcq} bigint`);
        // An insert no trigger sees (triggers off, a rule's target) still takes a version; inheritance children have
        // the default too, and children made later inherit it.
        await c.query(`ALTER TABLE ${t} ALTER COLUMN ${this.vcq} SET DEFAULT ${NEXT_VERSION}`);
        let n = 0;
        const quiet = await quietly(c, async () => {
          n = (await c.query(`UPDATE ${t} SET ${this.vcq} = ${NEXT_VERSION} WHERE ${this.vcq} IS NULL`)).rowCount ?? 0;
        });
        if (n) done.push(`${tracked.name}: versioned ${n} existing rows${quiet ? '' : QUIET_REFUSED}`);
        if (n) numbered.push(t);
        await versionIndex(c, t, this.vc, `_rowferry_${tracked.name}_version`, false);
        for (const child of children.filter((ch) => !ch.foreign && !ch.indexed))
          await versionIndex(c, child.sql, this.vc, childIndexName(child.sql), false);
      }
      await this.installDeleteLog(c, tracked);
      for (const relation of local) await this.triggers(c, tracked, relation);
      const mode = tracked.sideTable ? `side table ${sideTableName(tracked.name)}` : `column ${this.vcq}, index`;
      done.push(`${tracked.name}: ${mode}, triggers and delete log in place${childList}`);
    }
    return { done, numbered };
  }

  /**
   * Inheritance children (legacy partitioning) are read with their parent, but a parent's row triggers never fire for
   * a child's rows. A child made after `track` takes versions for its inserts at once (it inherits the column's
   * default); a pass finds it and installs its triggers, touching nothing but the child, under a lock timeout, and then
   * its version index without blocking the application's writes. Says what it did.
   */
  async trackChildren(pool: pg.Pool, table: SourceTable, sided: boolean): Promise<string[]> {
    const c = await pool.connect();
    try {
      const children = (
        await inheritanceChildren(c, this.tableSql(table.name), deleteFunction(table.name), this.vc)
      ).filter((ch) => !ch.foreign);
      refuseTrackedElsewhere(table.name, children);
      const untracked = children.filter((ch) => !ch.tracked).map((ch) => ch.sql);
      const notes: string[] = [];
      if (untracked.length) {
        try {
          await c.query(`BEGIN; SET LOCAL lock_timeout = '${CHILD_LOCK_TIMEOUT_MS}ms'`);
          for (const child of untracked) await this.triggers(c, { ...table, sideTable: sided }, child);
          await c.query('COMMIT');
          notes.push(`tracking installed on new inheritance children: ${untracked.join(', ')}`);
        } catch (err) {
          await c.query('ROLLBACK').catch(() => undefined);
          const code = (err as { code?: string }).code;
          if (code === '55P03') return [`new inheritance children ${untracked.join(', ')} are busy: tracked next pass`];
          if (code !== '42501') throw err;
          throw new Error(
            `table "${table.name}" has inheritance children without version tracking (${untracked.join(', ')}), whose updates and deletes would be missed: run "rowferry-agent track" as a role that may alter them (${(err as Error).message})`,
            { cause: err },
          );
        }
      }
      // A failed or cut build leaves no index, or an invalid one: the next pass builds it again.
      for (const child of sided ? [] : children.filter((ch) => !ch.indexed))
        await versionIndex(c, child.sql, this.vc, childIndexName(child.sql), true).catch((err: Error) =>
          notes.push(`the version index of ${child.sql} is not built yet (tried again next pass): ${err.message}`),
        );
      return notes;
    } finally {
      c.release();
    }
  }

  /**
   * The triggers on one relation (the table or an inheritance child): the version stamp (or the side table's), then
   * the delete log's, the delete trigger last: a child that has it is tracked (children()).
   */
  private async triggers(c: pg.PoolClient, table: TableTracking, relation: string): Promise<void> {
    if (table.sideTable)
      await c.query(
        `CREATE OR REPLACE TRIGGER _rowferry_side AFTER INSERT OR UPDATE OR DELETE ON ${relation} FOR EACH ROW EXECUTE FUNCTION ${sideFunction(table.name)}()`,
      );
    else
      await c.query(
        `CREATE OR REPLACE TRIGGER _rowferry_version BEFORE INSERT OR UPDATE ON ${relation} FOR EACH ROW EXECUTE FUNCTION ${TRACKING_SCHEMA}.stamp_version()`,
      );
    await c.query(
      `CREATE OR REPLACE TRIGGER _rowferry_rekey AFTER UPDATE ON ${relation} FOR EACH ROW
         WHEN (${keyChanged(table.key.map(q))}) EXECUTE FUNCTION ${deleteFunction(table.name)}()`,
    );
    await c.query(
      `CREATE OR REPLACE TRIGGER _rowferry_delete AFTER DELETE ON ${relation} FOR EACH ROW EXECUTE FUNCTION ${deleteFunction(table.name)}()`,
    );
  }

  /**
   * Side-table tracking (docs/sources.md, Side tables): the table stays as it is; `_rowferry."_rowferry_<table>_rows"`
   * holds each row's key and version, kept by one trigger function from the sequence (after the transaction id, as
   * every version); a key change moves the version to the new key. Existing rows are numbered: says how many.
   */
  private async installSideTable(c: pg.PoolClient, table: TableTracking): Promise<number> {
    const t = this.tableSql(table.name);
    const hasColumn = await c.query(
      `SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped`,
      [t, this.vc],
    );
    if (hasColumn.rowCount)
      throw new Error(
        `table "${table.name}" is tracked with a version column; remove it (docs/sources.md) before tracking the table with a side table`,
      );
    const side = trackingTable(sideTableName(table.name));
    const keys = table.key.map(q);
    const list = keys.join(', ');
    await this.createKeyTable(c, sideTableName(table.name), table);
    await c.query(`CREATE UNIQUE INDEX IF NOT EXISTS ${q(`${sideTableName(table.name)}_key`)} ON ${side} (${list})`);
    await c.query(`CREATE OR REPLACE FUNCTION ${sideFunction(table.name)}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND ${keyChanged(keys)}) THEN
          DELETE FROM ${side} WHERE ${keys.map((k) => `${k} = OLD.${k}`).join(' AND ')};
        END IF;
        IF TG_OP <> 'DELETE' THEN
          INSERT INTO ${side} (${list}, ${this.vcq}) VALUES (${keys.map((k) => `NEW.${k}`).join(', ')}, ${NEXT_VERSION})
            ON CONFLICT (${list}) DO UPDATE SET ${this.vcq} = EXCLUDED.${this.vcq};
        END IF;
        RETURN NULL;
      END $$`);
    return (
      (
        await c.query(
          `INSERT INTO ${side} (${list}, ${this.vcq}) SELECT ${list}, ${NEXT_VERSION} FROM ${t} ON CONFLICT (${list}) DO NOTHING`,
        )
      ).rowCount ?? 0
    );
  }

  /**
   * The delete log (docs/sync-model.md, Deletes) in the tracking schema: a delete, or an update that changes the key
   * (the old key is gone), logs the old key with a fresh version, after the transaction id like every version, so the
   * safe watermark covers it. Keys compare byte for byte (as text in "C"), whatever their collation.
   */
  private async installDeleteLog(c: pg.PoolClient, table: SourceTable): Promise<void> {
    const keys = table.key.map(q);
    await this.createKeyTable(c, deleteLogName(table.name), table);
    await c.query(`CREATE OR REPLACE FUNCTION ${deleteFunction(table.name)}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO ${trackingTable(deleteLogName(table.name))} (${keys.join(', ')}, ${this.vcq})
          VALUES (${keys.map((k) => `OLD.${k}`).join(', ')}, ${NEXT_VERSION});
        RETURN NULL;
      END $$`);
  }

  /**
   * A tracking table holding a table's keys (side table, delete log): its key columns as the table has them, and an
   * indexed version.
   */
  private async createKeyTable(c: pg.PoolClient, name: string, table: SourceTable): Promise<void> {
    const kt = trackingTable(name);
    const keys = table.key.map(q).join(', ');
    await c.query(`CREATE TABLE IF NOT EXISTS ${kt} AS SELECT ${keys} FROM ${this.tableSql(table.name)} WITH NO DATA`);
    await c.query(`ALTER TABLE ${kt} ADD COLUMN IF NOT EXISTS ${this.vcq} bigint NOT NULL`);
    await c.query(`CREATE INDEX IF NOT EXISTS ${q(`${name}_version`)} ON ${kt} (${this.vcq})`);
  }
}

/**
 * Runs `write` in the caller's transaction under `session_replication_role = replica` where the role may set it, so the
 * application's own triggers (one that sets last_update) do not take rowferry's bookkeeping for a change of theirs.
 * Says whether it could; without the right, `write` runs with every trigger.
 */
export async function quietly(c: pg.PoolClient, write: () => Promise<void>): Promise<boolean> {
  const { rows } = await c.query<{ role: string }>(`SELECT current_setting('session_replication_role') AS role`);
  await c.query('SAVEPOINT quiet');
  const quiet = await c.query(`SET LOCAL session_replication_role = replica`).then(
    () => true,
    async () => (await c.query('ROLLBACK TO SAVEPOINT quiet'), false),
  );
  await c.query('RELEASE SAVEPOINT quiet');
  await write();
  if (quiet) await c.query(`SELECT set_config('session_replication_role', $1, true)`, [rows[0].role]);
  return quiet;
}

/** Said when the rows were numbered with every trigger firing. */
const QUIET_REFUSED = ` (the application's own update triggers ran for them: the role may not set session_replication_role)`;

/** How long a pass waits for a new child's lock before it tries again next pass. */
const CHILD_LOCK_TIMEOUT_MS = 5000;

function sideFunction(table: string): string {
  return `${TRACKING_SCHEMA}.${q(`side_${table}`)}`;
}

function deleteFunction(table: string): string {
  return `${TRACKING_SCHEMA}.${q(`log_${table}_delete`)}`;
}

/** In a row trigger: the row's key changed, compared byte for byte (as text in "C"), whatever its collation. */
export function keyChanged(keys: string[]): string {
  const text = (row: string) => `ROW(${keys.map((k) => `${row}.${k}::text COLLATE "C"`).join(', ')})`;
  return `${text('OLD')} IS DISTINCT FROM ${text('NEW')}`;
}
