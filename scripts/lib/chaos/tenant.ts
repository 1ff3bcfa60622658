import pg from 'pg';
import { quoteIdent, type ColumnType } from '#contracts';
import { dataTable } from '#persistence';
import type { Source } from '../../../apps/agent/src/sources/source.js';
import type { Random } from './random.js';

/**
 * The tenants of a chaos run: one source database each (SQLite, PostgreSQL or MariaDB) with three tables (integer,
 * composite and text keys) and awkward values, written to at random while faults are injected, backed up and
 * restored, and finally compared with the remote copy, every column of every row.
 */
export interface TableSpec {
  name: string;
  key: string[];
}

export interface Comparison {
  rows: number;
  differences: string[];
}

/** Odd values that must arrive exactly: non-ASCII, combining marks, quotes, empty strings next to NULLs. */
const NAMES = [
  'plain',
  'emoji 😀',
  'e\u0301 combining',
  "o'brien",
  'quote " inside',
  '',
  'Zürich',
  'ALPHA',
  'alpha',
  '東京',
];
const TAG_CODES = ['Alpha', 'alpha', 'ALPHA', 'Zürich', 'zürich', 'a,b', "o'brien", '東京', 'emoji 😀'];
const INITIAL_ROWS = 1500;

/** What every engine's tenant does, in the engine's own SQL. */
export abstract class ChaosTenant {
  readonly tables: TableSpec[];
  private nextId = INITIAL_ROWS + 1;
  private addedColumns = 0;
  /** Paused during backups and restores: a consistent backup, and a restore with the application stopped. */
  paused = false;

  constructor(
    readonly name: string,
    readonly dir: string,
    readonly prefix: string,
  ) {
    this.tables = [
      { name: `${prefix}_items`, key: ['id'] },
      { name: `${prefix}_lines`, key: ['order_id', 'line'] },
      { name: `${prefix}_tags`, key: ['code'] },
    ];
  }

  abstract readonly sourceConfig: Record<string, unknown>;
  /** One statement with `?` parameters, in the tenant's database (as the application would write). */
  abstract exec(sql: string, params?: unknown[]): Promise<void>;
  protected abstract createTables(): Promise<void>;
  protected abstract bool(v: boolean): unknown;
  abstract openSource(): Source;
  abstract backup(tag: string): Promise<void>;
  abstract restore(tag: string): Promise<void>;
  abstract close(): Promise<void>;
  /** The local rows of a table rendered as text the way remoteText renders the remote ones (server engines). */
  protected abstract localRows(
    table: string,
    columns: { name: string; type: ColumnType }[],
  ): Promise<(string | null)[][]>;

  /** What `rowferry-agent track` installs (`--side-table`: with side tables), for every table of the tenant. */
  async installTracking(sideTable = false): Promise<void> {
    const source = this.openSource();
    try {
      await source.installTracking(this.tables.map((t) => ({ ...t, sideTable })));
    } finally {
      await source.close();
    }
  }

  /** Every column of every row of every table, local against remote, as the agent describes the columns. */
  async compare(remoteUrl: string, databaseId: string): Promise<Comparison> {
    const source = this.openSource();
    const differences: string[] = [];
    let rows = 0;
    try {
      for (const t of this.tables) {
        const { columns } = await source.describe(t);
        const local = await this.localRows(t.name, columns);
        rows += local.length;
        differences.push(
          ...this.rowsCompared(
            indexRows(local, columns, t.key),
            await remoteRows(remoteUrl, databaseId, t.name, columns, t.key),
            t.name,
          ),
        );
      }
    } finally {
      await source.close();
    }
    return { rows, differences };
  }

  protected get items() {
    return this.tables[0].name;
  }
  protected get lines() {
    return this.tables[1].name;
  }
  protected get tags() {
    return this.tables[2].name;
  }

  async setup(rng: Random): Promise<void> {
    await this.createTables();
    for (let i = 1; i <= INITIAL_ROWS; i++) await this.insertItem(rng, i);
    for (let o = 1; o <= INITIAL_ROWS / 3; o++)
      for (let l = 1; l <= 2; l++)
        await this.exec(`INSERT INTO ${this.lines} (order_id, line, sku, qty) VALUES (?, ?, ?, ?)`, [
          o,
          l,
          `SKU-${o}-${l}`,
          rng.int(-5, 5) * 1e12,
        ]);
    // a case-insensitive key refuses the twins
    for (const code of TAG_CODES) await this.insertTag(code, rng).catch(() => undefined);
  }

  /** One random write: an insert, an update or a delete in one of the three tables. */
  async write(rng: Random): Promise<void> {
    if (this.paused) return;
    const roll = rng.next();
    const id = rng.int(1, this.nextId);
    try {
      if (roll < 0.3) await this.insertItem(rng, this.nextId++);
      else if (roll < 0.55)
        await this.exec(`UPDATE ${this.items} SET name = ?, amount = ?, flag = ?, note = ? WHERE id = ?`, [
          rng.pick(NAMES),
          cents(rng),
          this.bool(rng.chance(0.5)),
          rng.chance(0.3) ? null : `n${rng.int(0, 99)}`,
          id,
        ]);
      else if (roll < 0.65) await this.exec(`DELETE FROM ${this.items} WHERE id = ?`, [id]);
      else if (roll < 0.75)
        await this.exec(`INSERT INTO ${this.lines} (order_id, line, sku, qty) VALUES (?, ?, ?, ?)`, [
          id,
          rng.int(1, 9),
          rng.pick(NAMES),
          rng.int(0, 1000),
        ]);
      else if (roll < 0.85)
        await this.exec(`UPDATE ${this.lines} SET qty = ? WHERE order_id = ?`, [
          rng.int(0, 1000),
          rng.int(1, INITIAL_ROWS / 3),
        ]);
      else if (roll < 0.9)
        await this.exec(`DELETE FROM ${this.lines} WHERE order_id = ? AND line = ?`, [
          rng.int(1, this.nextId),
          rng.int(1, 9),
        ]);
      else if (roll < 0.96) await this.insertTag(`${rng.pick(TAG_CODES)} ${rng.int(0, 300)}`, rng);
      else await this.exec(`DELETE FROM ${this.tags} WHERE code = ?`, [`${rng.pick(TAG_CODES)} ${rng.int(0, 300)}`]);
    } catch (err) {
      // A duplicate key, or the database restarting under the writer: the application would retry later too.
      if (!isExpectedWriteError(err)) throw err;
    }
  }

  /**
   * A column added locally (docs/architecture.md, Remote storage): the remote gets it, and every existing row its
   * value.
   */
  async addColumn(): Promise<string> {
    const column = `extra_${++this.addedColumns}`;
    await this.exec(`ALTER TABLE ${this.items} ADD COLUMN ${column} VARCHAR(20) DEFAULT '${column}'`);
    return `${this.items}.${column}`;
  }

  private insertItem(rng: Random, id: number): Promise<void> {
    return this.exec(`INSERT INTO ${this.items} (id, name, amount, flag, data, note) VALUES (?, ?, ?, ?, ?, ?)`, [
      id,
      rng.pick(NAMES),
      cents(rng),
      this.bool(rng.chance(0.5)),
      rng.chance(0.2) ? null : rng.bytes(12),
      rng.chance(0.3) ? null : rng.chance(0.5) ? '' : `note ${id}`,
    ]);
  }

  private insertTag(code: string, rng: Random): Promise<void> {
    return this.exec(`INSERT INTO ${this.tags} (code, label) VALUES (?, ?)`, [
      code,
      rng.chance(0.2) ? null : rng.pick(NAMES),
    ]);
  }

  protected rowsCompared(local: Map<string, string>, remote: Map<string, string>, table: string): string[] {
    const out: string[] = [];
    for (const [k, v] of local)
      if (remote.get(k) !== v)
        out.push(`${this.name} ${table} ${k}: local ${v} remote ${remote.get(k) ?? '(missing)'}`);
    for (const k of remote.keys()) if (!local.has(k)) out.push(`${this.name} ${table} ${k}: remote only`);
    return out;
  }
}

function cents(rng: Random): string {
  return `${rng.int(-99999, 99999)}.${String(rng.int(0, 99)).padStart(2, '0')}`;
}

function isExpectedWriteError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return /UNIQUE|duplicate|ER_DUP_ENTRY|23505|SQLITE_BUSY|ECONNREFUSED|ECONNRESET|57P0|terminat|closed|not queryable|Connection|PROTOCOL|server has gone|EPIPE|database is locked/i.test(
    `${e.code ?? ''} ${e.message ?? ''}`,
  );
}

// SQLite

// Server engines: the rows rendered as text alike on both sides, by the column types the agent sees.

export function remoteText(type: ColumnType, col: string): string {
  if (type === 'boolean') return `CASE WHEN ${col} THEN '1' WHEN NOT ${col} THEN '0' END`;
  if (type === 'bytea') return `upper(encode(${col}, 'hex'))`;
  return `${col}::text`;
}

export async function remoteRows(
  remoteUrl: string,
  databaseId: string,
  table: string,
  columns: { name: string; type: ColumnType }[],
  key: string[],
): Promise<Map<string, string>> {
  const c = new pg.Client({ connectionString: remoteUrl });
  await c.connect();
  try {
    const { rows } = await c.query({
      text: `SELECT ${columns.map((col) => remoteText(col.type, quoteIdent(col.name))).join(', ')} FROM ${dataTable(table)} WHERE _rf_database = $1`,
      values: [databaseId],
      rowMode: 'array',
    });
    return indexRows(rows as (string | null)[][], columns, key);
  } finally {
    await c.end();
  }
}

function indexRows(rows: (string | null)[][], columns: { name: string }[], key: string[]): Map<string, string> {
  const at = key.map((k) => columns.findIndex((c) => c.name === k));
  return new Map(rows.map((r) => [JSON.stringify(at.map((i) => r[i])), JSON.stringify(r)]));
}

/** The agent's settings for a tenant: quick passes, small batches, so faults land in every phase of the algorithm. */
export function chaosAgentSettings(t: ChaosTenant): Record<string, unknown> {
  return {
    source: t.sourceConfig,
    tables: t.tables,
    intervalSeconds: 0.5,
    batchRows: 400,
    maxInFlight: 4,
    sliceRows: 1000,
  };
}
