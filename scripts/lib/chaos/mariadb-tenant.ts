import mysql from 'mysql2/promise';
import type { ColumnType } from '#contracts';
import { MariadbSource } from '../../../apps/agent/src/sources/mariadb/mariadb.source.js';
import type { Source } from '../../../apps/agent/src/sources/source.js';
import { deleteLogName } from '../../../apps/agent/src/sources/tracked-source.js';
import { ServerTenant } from './server-tenant.js';

export class MariadbTenant extends ServerTenant {
  protected readonly engine = 'mariadb';
  private conn: mysql.Connection | undefined;

  openSource(): Source {
    return new MariadbSource(this.url);
  }

  private async connected(): Promise<mysql.Connection> {
    if (!this.conn) {
      const conn = await mysql.createConnection({ uri: this.url, supportBigNumbers: true, bigNumberStrings: true });
      conn.on('error', () => (this.conn = undefined));
      this.conn = conn;
    }
    return this.conn;
  }

  async exec(sql: string, params: unknown[] = []): Promise<void> {
    const c = await this.connected();
    try {
      await c.query(sql, params);
    } catch (err) {
      if (!(err as { sqlState?: string }).sqlState) {
        this.conn = undefined;
        c.destroy();
      }
      throw err;
    }
  }

  protected async createTables(): Promise<void> {
    await this.exec(
      `CREATE TABLE ${this.items} (id BIGINT PRIMARY KEY, name TEXT, amount DECIMAL(12, 2), flag TINYINT(1), data VARBINARY(64), note TEXT) ENGINE=InnoDB`,
    );
    await this.exec(
      `CREATE TABLE ${this.lines} (order_id BIGINT, line BIGINT, sku TEXT, qty BIGINT, PRIMARY KEY (order_id, line)) ENGINE=InnoDB`,
    );
    await this.exec(`CREATE TABLE ${this.tags} (code VARCHAR(100) PRIMARY KEY, label TEXT) ENGINE=InnoDB`);
  }

  protected bool(v: boolean) {
    return v ? 1 : 0;
  }

  /** The tables' delete logs, restored with them as a dump would. */
  private get logs(): string[] {
    return this.tables.map((t) => deleteLogName(t.name));
  }

  private get database(): string {
    return new URL(this.url).pathname.slice(1);
  }

  async backup(tag: string): Promise<void> {
    const bk = `${this.database}_bk_${tag}`;
    await this.exec(`CREATE DATABASE ${bk}`);
    for (const t of [...this.tables.map((x) => x.name), ...this.logs, '_rowferry_markers'])
      await this.exec(`CREATE TABLE ${bk}.${t} AS SELECT * FROM ${t}`);
    await this.exec(`CREATE TABLE ${bk}.counter AS SELECT next_not_cached_value AS next FROM _rowferry_version_seq`);
  }

  async restore(tag: string): Promise<void> {
    const bk = `${this.database}_bk_${tag}`;
    for (const t of this.tables) {
      await this.exec(`DROP TABLE ${t.name}`);
      await this.exec(`CREATE TABLE ${t.name} AS SELECT * FROM ${bk}.${t.name}`);
      await this.exec(`ALTER TABLE ${t.name} ADD PRIMARY KEY (${t.key.join(', ')})`);
    }
    for (const t of [...this.logs, '_rowferry_markers']) {
      await this.exec(`DELETE FROM ${t}`);
      await this.exec(`INSERT INTO ${t} SELECT * FROM ${bk}.${t}`);
    }
    const c = await this.connected();
    const [[{ next }]] = (await c.query(`SELECT next FROM ${bk}.counter`)) as unknown as [{ next: string }[]];
    await this.exec(`ALTER SEQUENCE _rowferry_version_seq RESTART WITH ${BigInt(next)}`);
    await this.installTracking();
  }

  protected async localRows(
    table: string,
    columns: { name: string; type: ColumnType }[],
  ): Promise<(string | null)[][]> {
    const c = await this.connected();
    const list = columns
      .map((col) => (col.type === 'bytea' ? `HEX(\`${col.name}\`)` : `CAST(\`${col.name}\` AS CHAR)`))
      .join(', ');
    return (
      (await c.query({ sql: `SELECT ${list} FROM ${table}`, rowsAsArray: true })) as unknown as [(string | null)[][]]
    )[0];
  }

  async close(): Promise<void> {
    await this.conn?.end().catch(() => undefined);
  }
}
