import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import type { Repository } from 'typeorm';
import {
  checkRows,
  partitionRows,
  columnTypeName,
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
import { ensureDataTable, IncompatibleTableError, quarantineCounts, RegisteredTable, TableStats } from '#persistence';
import { JobQueueService } from '../jobs/job-queue.service.js';

export const PG_POOL = Symbol('PG_POOL');

@Injectable()
export class TablesService {
  constructor(
    @InjectRepository(RegisteredTable) private readonly tables: Repository<RegisteredTable>,
    @InjectRepository(TableStats) private readonly stats: Repository<TableStats>,
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly jobs: JobQueueService,
  ) {}

  /**
   * Registers (or extends) a table for this database. Columns only ever accumulate: a column missing from a later
   * definition stays. A changed key or column type is refused for this tenant, with what differs.
   */
  async register(tenant: TenantRef, table: string, def: TableDefinition): Promise<RegisteredTableInfo> {
    const existing = await this.tables.findOneBy({ databaseId: tenant.databaseId, tableName: table });
    try {
      const merged = mergeDefinition(table, existing, def);
      const client = await this.pool.connect();
      try {
        await ensureDataTable(client, table, merged);
      } catch (err) {
        if (err instanceof IncompatibleTableError) throw new ConflictException(err.message);
        throw err;
      } finally {
        client.release();
      }
      const added = existing ? def.columns.filter((c) => !existing.columns.some((e) => e.name === c.name)).map((c) => c.name) : [];
      await this.tables.save({ databaseId: tenant.databaseId, tableName: table, columns: merged.columns, keyColumns: merged.key, schemaError: null });
      await this.stats
        .createQueryBuilder()
        .insert()
        .values({ databaseId: tenant.databaseId, tableName: table, customerId: tenant.customerId, rowCount: '0', maxVersion: '0', appliedThrough: '0', pendingRanges: [], timeline: '0' })
        .orIgnore()
        .execute();
      // The existing rows need the new columns' values: remembered here, so nothing the agent loses can lose it.
      if (added.length) await this.stats.update({ databaseId: tenant.databaseId, tableName: table }, { backfillFrom: '0' });
      return { table, ...merged, added };
    } catch (err) {
      // Refused for this tenant's table only: the table keeps syncing under its registered definition, and the
      // reason is shown with its version info until a compatible definition arrives.
      if (err instanceof ConflictException && existing) await this.tables.update({ databaseId: tenant.databaseId, tableName: table }, { schemaError: err.message });
      throw err;
    }
  }

  async versionInfo(tenant: TenantRef, table: string): Promise<VersionInfo> {
    const s = await this.stats.findOneBy({ databaseId: tenant.databaseId, tableName: table });
    if (!s) throw notRegistered(table);
    const reg = await this.tables.findOne({ where: { databaseId: tenant.databaseId, tableName: table }, select: { schemaError: true } });
    return this.toVersionInfo(tenant, s, reg?.schemaError ?? null, (await quarantineCounts(this.pool, tenant, table)).get(table) ?? 0);
  }

  /** Version info for every table of the database in one call: a pass over an unchanged database costs one request. */
  async allVersionInfo(tenant: TenantRef): Promise<VersionInfo[]> {
    const all = await this.stats.find({ where: { databaseId: tenant.databaseId }, order: { tableName: 'ASC' } });
    const errors = new Map((await this.tables.find({ where: { databaseId: tenant.databaseId }, select: { tableName: true, schemaError: true } })).map((t) => [t.tableName, t.schemaError]));
    const quarantined = await quarantineCounts(this.pool, tenant);
    return Promise.all(all.map((s) => this.toVersionInfo(tenant, s, errors.get(s.tableName) ?? null, quarantined.get(s.tableName) ?? 0)));
  }

  async upload(tenant: TenantRef, table: string, req: UploadRequest, bytes: number): Promise<string> {
    const reg = await this.registration(tenant, table);
    const { problem, refused } = checkRows(reg.columns, reg.keyColumns, req.rows);
    if (problem) throw new BadRequestException(`table "${table}": ${problem}`);
    const byName = new Map(reg.columns.map((c) => [c.name, c]));
    // A bad row is the row's problem, not the table's (design §4): it travels aside, to the quarantine.
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
    const { affected } = await this.stats.update({ databaseId: tenant.databaseId, tableName: table, backfillFrom: progress.from }, { backfillFrom: progress.next });
    if (!affected) throw new ConflictException(`table "${table}" has no backfill at version ${progress.from} (it is done, or restarted because columns were added): read its version info again`);
  }

  private async registration(tenant: TenantRef, table: string): Promise<RegisteredTable> {
    const reg = await this.tables.findOneBy({ databaseId: tenant.databaseId, tableName: table });
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

/**
 * The registration after this definition: columns only ever accumulate (a column missing from a later definition
 * stays). A changed key or column type is refused with what differs.
 */
function mergeDefinition(table: string, existing: RegisteredTable | null, def: TableDefinition): TableDefinition {
  const columns = new Map<string, ColumnDef>((existing?.columns ?? []).map((c) => [c.name, c]));
  if (existing && existing.keyColumns.join() !== def.key.join())
    throw new ConflictException(`table "${table}" is registered with key (${existing.keyColumns.join(', ')}); changing it to (${def.key.join(', ')}) is refused`);
  for (const c of def.columns) {
    const had = columns.get(c.name);
    if (had && columnTypeName(had) !== columnTypeName(c))
      throw new ConflictException(`column "${c.name}" of table "${table}" is registered as ${columnTypeName(had)}; changing it to ${columnTypeName(c)} is refused`);
    columns.set(c.name, c);
  }
  return { columns: [...columns.values()], key: def.key };
}

function keyDefs(reg: RegisteredTable): ColumnDef[] {
  return reg.keyColumns.map((k) => reg.columns.find((c) => c.name === k)!);
}

function notRegistered(table: string): NotFoundException {
  return new NotFoundException(`table "${table}" is not registered for this database; register it first with PUT …/tables/${table}`);
}
