import Database from 'better-sqlite3';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteSource } from '../../../apps/agent/src/sources/sqlite/sqlite.source.js';
import type { Source } from '../../../apps/agent/src/sources/source.js';
import { compareTable } from '../compare.js';
import { ChaosTenant, type Comparison } from './tenant.js';

export class SqliteTenant extends ChaosTenant {
  private db!: Database.Database;
  readonly path: string;

  constructor(name: string, dir: string, prefix: string) {
    super(name, dir, prefix);
    this.path = join(dir, 'local.db');
  }

  get sourceConfig() {
    return { type: 'sqlite', path: this.path };
  }

  openSource(): Source {
    return new SqliteSource(this.path);
  }

  protected async createTables(): Promise<void> {
    this.open();
    this.db
      .exec(`CREATE TABLE ${this.items} (id INTEGER PRIMARY KEY, name TEXT, amount NUMERIC, flag BOOLEAN, data BLOB, note TEXT);
      CREATE TABLE ${this.lines} (order_id INTEGER NOT NULL, line INTEGER NOT NULL, sku TEXT, qty INTEGER, PRIMARY KEY (order_id, line));
      CREATE TABLE ${this.tags} (code TEXT PRIMARY KEY, label TEXT);`);
  }

  private open(): void {
    this.db = new Database(this.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
  }

  async exec(sql: string, params: unknown[] = []): Promise<void> {
    this.db.prepare(sql).run(...params);
  }

  protected bool(v: boolean) {
    return v ? 1 : 0;
  }

  async backup(tag: string): Promise<void> {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    await this.db.backup(join(this.dir, `backup-${tag}.db`));
    const state = join(this.dir, 'rowferry-state.json');
    if (existsSync(state)) copyFileSync(state, join(this.dir, `backup-${tag}.state.json`));
  }

  /** The file put back from the backup (the agent is stopped by the caller), with the agent's state of the time. */
  async restore(tag: string): Promise<void> {
    this.db.close();
    for (const suffix of ['-wal', '-shm']) rmSync(this.path + suffix, { force: true });
    copyFileSync(join(this.dir, `backup-${tag}.db`), this.path);
    this.open();
  }

  /** The agent's state as it was at the backup (a machine image), or lost. */
  restoreState(tag: string | undefined): void {
    const state = join(this.dir, 'rowferry-state.json');
    rmSync(state, { force: true });
    if (tag && existsSync(join(this.dir, `backup-${tag}.state.json`)))
      copyFileSync(join(this.dir, `backup-${tag}.state.json`), state);
  }

  protected async localRows(): Promise<(string | null)[][]> {
    throw new Error('SQLite tenants compare with compareTable');
  }

  /** SQLite values are compared by compareTable (scripts/lib/compare.ts), shared with the end-to-end tests. */
  override async compare(remoteUrl: string, databaseId: string): Promise<Comparison> {
    const differences: string[] = [];
    let rows = 0;
    for (const t of this.tables) {
      differences.push(
        ...(await compareTable(this.path, remoteUrl, databaseId, t.name, t.key)).map((d) => `${this.name} ${d}`),
      );
      rows += Number(this.db.prepare(`SELECT count(*) FROM ${t.name}`).pluck().get());
    }
    return { rows, differences };
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
