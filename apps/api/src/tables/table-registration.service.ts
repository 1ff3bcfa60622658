import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { Pool } from 'pg';
import type { BackfillProgress, RegisteredTableInfo, TableDefinition, TenantRef } from '#contracts';
import { registerTable, TableStats, tableShapeSql, type TableShape } from '#persistence';
import { TenantScope } from '../common/tenant-scope.js';
import { TooManyRequestsException } from '../common/too-many-requests.js';
import type { ApiConfig } from '../config.js';
import { RegistrationRate } from './registration-rate.js';
import { API_CONFIG, PG_POOL } from '../tokens.js';

/** A database's tables as registered: what they hold (columns, key), and how far a backfill of added columns got. */
@Injectable()
export class TableRegistrationService {
  constructor(
    private readonly scope: TenantScope,
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly registrationRate: RegistrationRate,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /**
   * Registers (or extends) a table for this database. Columns only ever accumulate: a column missing from a later
   * definition stays. A changed key or column type is refused for this tenant (409), with what differs.
   */
  async register(tenant: TenantRef, table: string, def: TableDefinition): Promise<RegisteredTableInfo> {
    const limits = {
      maxTables: this.config.MAX_TABLES_PER_DATABASE,
      maxColumns: this.config.MAX_COLUMNS_PER_TABLE,
      lockTimeoutMs: this.config.DDL_LOCK_TIMEOUT_MS,
    };
    const outcome = await registerTable(this.pool, tenant, table, def, limits, () =>
      this.registrationRate.take(tenant),
    );
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

  /** The table as registered for this database; 404 saying how to register it when it is not. */
  async registered(tenant: TenantRef, table: string): Promise<TableShape> {
    const [reg] = await this.scope.readOnce<TableShape>(tenant, tableShapeSql(tenant, table));
    if (!reg) throw notRegistered(table);
    return reg;
  }

  /** Records how far the backfill got, unless it was restarted meanwhile (more columns added): then 409. */
  async backfillProgress(tenant: TenantRef, table: string, progress: BackfillProgress): Promise<void> {
    const { affected } = await this.scope.run(tenant, ({ manager }) =>
      manager.update(
        TableStats,
        { databaseId: tenant.databaseId, tableName: table, backfillFrom: progress.from },
        { backfillFrom: progress.next },
      ),
    );
    if (!affected)
      throw new ConflictException(
        `table "${table}" has no backfill at version ${progress.from} (it is done, or restarted because columns were added): read its version info again`,
      );
  }
}

export function notRegistered(table: string): NotFoundException {
  return new NotFoundException(
    `table "${table}" is not registered for this database; register it first with PUT …/tables/${table}`,
  );
}
