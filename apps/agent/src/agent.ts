import { randomUUID } from 'node:crypto';
import { detectRestore, keepMarkersThrough } from '#sync';
import { ApiClient, ApiRefusedError } from './api-client.js';
import { loadCredentials, type AgentConfig } from './config.js';
import { openSource } from './sources/open-source.js';
import type { Source, SourceTable } from './sources/source.js';
import { loadState, saveState, type AgentState } from './state.js';
import { TablePass, type PassReport } from './table-pass.js';

export interface CycleReport {
  tables: (PassReport | { table: string; error: string })[];
  restoredTo?: bigint;
}

/** The agent: one cycle = one pass per table, plus the restore markers (design §3.3). */
export class SyncAgent {
  readonly source: Source;
  readonly api: ApiClient;
  private readonly state: AgentState;
  private readonly pass: TablePass;
  private readonly tables = new Map<string, SourceTable>();
  /** The definition last registered per table, to register again only when it changes. */
  private readonly registered = new Map<string, string>();

  constructor(
    private readonly config: AgentConfig,
    private readonly log: (line: string) => void = (l) => console.log(`${new Date().toISOString()} ${l}`),
  ) {
    this.source = openSource(config.source);
    this.api = new ApiClient(config.api.url, loadCredentials(config));
    this.state = loadState(config.stateFile);
    this.pass = new TablePass(this.source, this.api, config);
  }

  /**
   * Describes every configured table and registers it with the API when its definition changed (new columns are
   * added remotely and their values for existing rows sent again). A refused definition (key or type change) stops
   * that table only, with the reason kept for `status`; the other tables go on.
   */
  async registerTables(): Promise<Map<string, string>> {
    const refused = new Map<string, string>();
    for (const t of this.config.tables) {
      try {
        const table = await this.source.describe(t.name, t.key);
        const definition = JSON.stringify(table);
        if (this.registered.get(t.name) !== definition) {
          const info = await this.api.registerTable(t.name, { columns: table.columns, key: table.key });
          this.registered.set(t.name, definition);
          if (info.added.length) {
            this.state.resend[t.name] = 0n;
            this.log(`${t.name}: new column(s) ${info.added.join(', ')}: sending existing rows again`);
          }
        }
        this.tables.set(t.name, table);
        delete this.state.refusals[t.name];
      } catch (err) {
        if (!(err instanceof ApiRefusedError)) throw err;
        this.tables.delete(t.name);
        this.state.refusals[t.name] = err.message;
        refused.set(t.name, err.message);
      }
    }
    return refused;
  }

  async cycle(): Promise<CycleReport> {
    const refused = await this.registerTables();
    const infos = new Map((await this.api.allVersionInfo()).map((i) => [i.table, i]));
    const newest = await this.source.newestMarker();
    const restoredTo = detectRestore(this.state.markers, newest);
    if (restoredTo !== undefined) this.log(`restore detected: versions above ${restoredTo} are re-synced`);
    const report: CycleReport = { tables: [...refused].map(([table, error]) => ({ table, error: `definition refused: ${error}` })), restoredTo };
    let allRestored = refused.size === 0;
    for (const table of this.tables.values()) {
      try {
        const info = infos.get(table.name) ?? (await this.api.versionInfo(table.name));
        const r = await this.pass.run(table, info, this.state.positions[table.name] ?? 0n, restoredTo);
        this.state.positions[table.name] = r.position;
        const resendFrom = this.state.resend[table.name];
        if (resendFrom !== undefined && r.steps.at(-1) === 'equal') {
          const next = await this.pass.resend(table, resendFrom);
          if (next === undefined) delete this.state.resend[table.name];
          else this.state.resend[table.name] = next;
        }
        if (restoredTo !== undefined && !r.steps.includes('restore')) allRestored = false;
        report.tables.push(r);
        this.log(`${table.name}: ${r.steps.join(' → ')}; uploaded ${r.uploaded}, deleted ${r.deleted}, checked ${r.checked}, repaired ${r.repaired}`);
      } catch (err) {
        allRestored = false;
        const error = err instanceof Error ? err.message : String(err);
        report.tables.push({ table: table.name, error });
        this.log(`${table.name}: pass failed: ${error}`);
      }
    }
    if (restoredTo !== undefined && allRestored) this.state.markers = keepMarkersThrough(this.state.markers, newest?.id);
    if (restoredTo === undefined || allRestored) await this.writeMarker();
    saveState(this.config.stateFile, this.state);
    return report;
  }

  /** A new marker when the counter moved. State first: a marker in the database that the state lacks would look like a foreign one. */
  private async writeMarker(): Promise<void> {
    const counter = await this.source.versionCounter();
    const last = this.state.markers[this.state.markers.length - 1];
    if (last && last.counter === counter) return;
    const marker = { id: randomUUID(), counter };
    this.state.markers.push(marker);
    saveState(this.config.stateFile, this.state);
    await this.source.writeMarker(marker);
  }

  async close(): Promise<void> {
    await this.source.close();
  }
}
