import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { Pool } from 'pg';
import {
  checkRows,
  partitionRows,
  type BackfillProgress,
  type ColumnDef,
  type DeleteRequest,
  type ManifestCheckRequest,
  type RegisteredTableInfo,
  type RangeHashRequest,
  type TableDefinition,
  type TenantRef,
  type UploadRequest,
  type VersionInfo,
} from '#contracts';
import { PG_POOL, quarantineCounts, RegisteredTable, registerTable, TableStats } from '#persistence';
import { TooManyRequestsException } from '../common/too-many-requests.js';
import { API_CONFIG, type ApiConfig } from '../config.js';
import { TenantScope } from '../common/tenant-scope.js';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { RegistrationRate } from './registration-rate.js';

@Injectable()
export class TablesService {
  constructor(
    private readonly scope: TenantScope,
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly jobs: JobQueueService,
    private readonly registrationRate: RegistrationRate,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /**
   * Registers (or extends) a table for this database. Columns only ever accumulate: a column missing from a later
   * definition stays. A changed key or column type is refused for this tenant (409), with what differs.
   */
  async register(tenant: TenantRef, table: string, def: TableDefinition): Promise<RegisteredTableInfo> {
    const limits = { maxTables: this.config.MAX_TABLES_PER_DATABASE, maxColumns: this.config.MAX_COLUMNS_PER_TABLE, lockTimeoutMs: this.config.DDL_LOCK_TIMEOUT_MS };
    const outcome = await registerTable(this.pool, tenant, table, def, limits, () => this.registrationRate.take(tenant));
    switch (outcome.kind) {
      case 'registered':
        return { table, ...outcome.definition, added: outcome.added };
      case 'refused':
      case 'over-limit':
        throw new ConflictException(outcome.reason);
      case 'busy':
        throw new TooManyRequestsException(outcome.reason, 2);
    }
  }

  async versionInfo(tenant: TenantRef, table: string): Promise<VersionInfo> {
    const [info] = await this.readVersionInfo(tenant, table);
    if (!info) throw notRegistered(table);
    return info;
  }

  /** Version info for every table of the database in one call: a pass over an unchanged database costs one request. */
  allVersionInfo(tenant: TenantRef): Promise<VersionInfo[]> {
    return this.readVersionInfo(tenant);
  }

  private async readVersionInfo(tenant: TenantRef, table?: string): Promise<VersionInfo[]> {
    const { stats, errors, quarantined } = await this.scope.run(tenant, async ({ manager, db }) => ({
      stats: await manager.find(TableStats, { where: { databaseId: tenant.databaseId, ...(table ? { tableName: table } : {}) }, order: { tableName: 'ASC' } }),
      errors: new Map(
        (await manager.find(RegisteredTable, { where: { databaseId: tenant.databaseId, ...(table ? { tableName: table } : {}) }, select: { tableName: true, schemaError: true } })).map((t) => [t.tableName, t.schemaError]),
      ),
      quarantined: await quarantineCounts(db, tenant, table),
    }));
    return Promise.all(stats.map((s) => this.toVersionInfo(tenant, s, errors.get(s.tableName) ?? null, quarantined.get(s.tableName) ?? 0)));
  }

  async upload(tenant: TenantRef, table: string, req: UploadRequest, bytes: number): Promise<string> {
    const reg = await this.registration(tenant, table);
    const { problem, refused } = checkRows(reg.columns, reg.keyColumns, req.rows);
    if (problem) throw new BadRequestException(`table "${table}": ${problem}`);
    const byName = new Map(reg.columns.map((c) => [c.name, c]));
    // A bad row is the row's problem, not the table's (docs/sync-model.md): it travels aside, to the quarantine.
    const [bad, rows] = refused.size ? partitionRows(req.rows, new Set(refused.keys())) : [undefined, req.rows];
    const replace = req.replace?.filter((_, r) => !refused.has(r));
    return this.jobs.enqueue('upload', {
      tenant,
      table,
      key: keyDefs(reg),
      columns: req.rows.columns.map((n) => byName.get(n)!),
      rows,
      ...(replace ? { replace } : {}),
      ...(bad ? { refused: { rows: bad, reasons: [...refused.entries()].sort(([a], [b]) => a - b).map(([, reason]) => reason) } } : {}),
      range: req.range,
      timeline: req.timeline,
      bytes,
    });
  }

  async delete(tenant: TenantRef, table: string, request: DeleteRequest): Promise<string> {
    const reg = await this.registration(tenant, table);
    const key = keyDefs(reg);
    if (request.mode === 'keys') {
      if (request.keys.length !== key.length)
        throw new BadRequestException(`table "${table}" has ${key.length} key column(s) (${reg.keyColumns.join(', ')}); the request gives ${request.keys.length} key array(s)`);
      const { problem, refused } = checkRows(key, reg.keyColumns, { columns: reg.keyColumns, values: request.keys, versions: request.versions });
      const firstRefused = [...refused.entries()][0];
      if (problem ?? firstRefused) throw new BadRequestException(`table "${table}": ${problem ?? `key ${firstRefused[0]}: ${firstRefused[1]}`}`);
    }
    return this.jobs.enqueue('delete', { tenant, table, key, request });
  }

  async manifestCheck(tenant: TenantRef, table: string, req: ManifestCheckRequest): Promise<string> {
    const reg = await this.registration(tenant, table);
    return this.jobs.enqueue('manifest-check', { tenant, table, key: keyDefs(reg), ...req });
  }

  async rangeHash(tenant: TenantRef, table: string, req: RangeHashRequest): Promise<string> {
    const reg = await this.registration(tenant, table);
    return this.jobs.enqueue('range-hash', { tenant, table, key: keyDefs(reg), ...req });
  }

  /** Records how far the backfill got, unless it was restarted meanwhile (more columns added): then 409. */
  async backfillProgress(tenant: TenantRef, table: string, progress: BackfillProgress): Promise<void> {
    const { affected } = await this.scope.run(tenant, ({ manager }) =>
      manager.update(TableStats, { databaseId: tenant.databaseId, tableName: table, backfillFrom: progress.from }, { backfillFrom: progress.next }),
    );
    if (!affected) throw new ConflictException(`table "${table}" has no backfill at version ${progress.from} (it is done, or restarted because columns were added): read its version info again`);
  }

  private async registration(tenant: TenantRef, table: string): Promise<RegisteredTable> {
    const reg = await this.scope.run(tenant, ({ manager }) => manager.findOneBy(RegisteredTable, { databaseId: tenant.databaseId, tableName: table }));
    if (!reg) throw notRegistered(table);
    return reg;
  }

  private async toVersionInfo(tenant: TenantRef, s: TableStats, schemaError: string | null, quarantined: number): Promise<VersionInfo> {
    return {
      table: s.tableName,
      maxVersion: s.maxVersion,
      appliedThrough: s.appliedThrough,
      rowCount: s.rowCount,
      lastModifiedAt: s.lastModifiedAt?.toISOString() ?? null,
      pendingJobs: await this.jobs.pendingJobs(tenant, s.tableName),
      schemaError,
      timeline: s.timeline,
      backfillFrom: s.backfillFrom,
      quarantined,
    };
  }
}

function keyDefs(reg: RegisteredTable): ColumnDef[] {
  return reg.keyColumns.map((k) => reg.columns.find((c) => c.name === k)!);
}

function notRegistered(table: string): NotFoundException {
  return new NotFoundException(`table "${table}" is not registered for this database; register it first with PUT …/tables/${table}`);
}
