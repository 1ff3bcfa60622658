import pg from 'pg';
import { quoteIdent, type ColumnType } from '#contracts';
import { PostgresSource } from '../../../apps/agent/src/sources/postgres/postgres.source.js';
import type { Source } from '../../../apps/agent/src/sources/source.js';
import { deleteLogName } from '../../../apps/agent/src/sources/tracked-source.js';
import { ServerTenant } from './server-tenant.js';
import { remoteText } from './tenant.js';

export class PostgresTenant extends ServerTenant {
  protected readonly engine = 'postgres';
  private client!: pg.Client;

  openSource(): Source {
    return new PostgresSource(this.url);
  }

  private async connected(): Promise<pg.Client> {
    if (!this.client) {
      this.client = new pg.Client({ connectionString: this.url });
      this.client.on('error', () => undefined); // a server restart: reconnected on the next write
      await this.client.connect().catch((err) => {
        this.client = undefined as unknown as pg.Client;
        throw err;
      });
    }
    return this.client;
  }

  async exec(sql: string, params: unknown[] = []): Promise<void> {
    let n = 0;
    const text = sql.replace(/\?/g, () => `$${++n}`);
    const c = await this.connected();
    try {
      await c.query(text, params);
    } catch (err) {
      if ((err as { code?: string }).code === undefined || /57P0|ECONN/.test(String((err as { code?: string }).code))) {
        await c.end().catch(() => undefined);
        this.client = undefined as unknown as pg.Client;
      }
      throw err;
    }
  }

  protected async createTables(): Promise<void> {
    await this.exec(
      `CREATE TABLE ${this.items} (id bigint PRIMARY KEY, name text, amount numeric(12, 2), flag boolean, data bytea, note text)`,
    );
    await this.exec(
      `CREATE TABLE ${this.lines} (order_id bigint, line bigint, sku text, qty bigint, PRIMARY KEY (order_id, line))`,
    );
    await this.exec(`CREATE TABLE ${this.tags} (code text PRIMARY KEY, label text)`);
  }

  protected bool(v: boolean) {
    return v;
  }

  /** Copies of the tables, the markers and the version counter in a schema of their own, in one snapshot. */
  async backup(tag: string): Promise<void> {
    const c = await this.connected();
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    try {
      await c.query(`CREATE SCHEMA bk_${tag}`);
      for (const t of [
        ...this.tables.map((x) => `public.${x.name}`),
        ...this.tables.map((x) => `_rowferry.${deleteLogName(x.name)}`),
        '_rowferry.markers',
      ])
        await c.query(`CREATE TABLE bk_${tag}.${t.split('.')[1]} AS SELECT * FROM ${t}`);
      await c.query(`CREATE TABLE bk_${tag}.counter AS SELECT last_value, is_called FROM _rowferry.version_seq`);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** The tables (structure included), the markers and the counter as they were, as restoring a dump does. */
  async restore(tag: string): Promise<void> {
    const c = await this.connected();
    await c.query('BEGIN');
    try {
      for (const t of this.tables) {
        await c.query(`DROP TABLE public.${t.name}`);
        await c.query(`CREATE TABLE public.${t.name} AS SELECT * FROM bk_${tag}.${t.name}`);
        await c.query(`ALTER TABLE public.${t.name} ADD PRIMARY KEY (${t.key.join(', ')})`);
      }
      for (const t of [...this.tables.map((x) => deleteLogName(x.name)), 'markers']) {
        await c.query(`TRUNCATE _rowferry.${t}`);
        await c.query(`INSERT INTO _rowferry.${t} SELECT * FROM bk_${tag}.${t}`);
      }
      await c.query(`SELECT setval('_rowferry.version_seq', last_value, is_called) FROM bk_${tag}.counter`);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
    await this.installTracking(); // the triggers, as the dump would bring them
  }

  protected async localRows(
    table: string,
    columns: { name: string; type: ColumnType }[],
  ): Promise<(string | null)[][]> {
    const c = await this.connected();
    return (
      await c.query({
        text: `SELECT ${columns.map((col) => remoteText(col.type, quoteIdent(col.name))).join(', ')} FROM public.${quoteIdent(table)}`,
        rowMode: 'array',
      })
    ).rows;
  }

  async close(): Promise<void> {
    await this.client?.end().catch(() => undefined);
  }
}
