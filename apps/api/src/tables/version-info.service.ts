import { Injectable } from '@nestjs/common';
import type { TenantRef, VersionInfo } from '#contracts';
import { quarantineCounts, RegisteredTable, TableStats } from '#persistence';
import { TenantScope } from '../common/tenant-scope.js';
import { JobsInFlight } from '../jobs/jobs-in-flight.js';
import { notRegistered } from './table-registration.service.js';

/** What the agent asks at the start of every pass: where each table stands remotely. */
@Injectable()
export class VersionInfoService {
  constructor(
    private readonly scope: TenantScope,
    private readonly jobs: JobsInFlight,
  ) {}

  async ofTable(tenant: TenantRef, table: string): Promise<VersionInfo> {
    const [info] = await this.read(tenant, table);
    if (!info) throw notRegistered(table);
    return info;
  }

  /** Version info for every table of the database in one call: a pass over an unchanged database costs one request. */
  ofDatabase(tenant: TenantRef): Promise<VersionInfo[]> {
    return this.read(tenant);
  }

  private async read(tenant: TenantRef, table?: string): Promise<VersionInfo[]> {
    const { stats, errors, quarantined } = await this.scope.run(tenant, async ({ manager, db }) => ({
      stats: await manager.find(TableStats, {
        where: { databaseId: tenant.databaseId, ...(table ? { tableName: table } : {}) },
        order: { tableName: 'ASC' },
      }),
      errors: new Map(
        (
          await manager.find(RegisteredTable, {
            where: { databaseId: tenant.databaseId, ...(table ? { tableName: table } : {}) },
            select: { tableName: true, schemaError: true },
          })
        ).map((t) => [t.tableName, t.schemaError]),
      ),
      quarantined: await quarantineCounts(db, tenant, table),
    }));
    return Promise.all(
      stats.map(async (s) => ({
        table: s.tableName,
        maxVersion: s.maxVersion,
        appliedThrough: s.appliedThrough,
        rowCount: s.rowCount,
        lastModifiedAt: s.lastModifiedAt?.toISOString() ?? null,
        pendingJobs: await this.jobs.pendingJobs(tenant, s.tableName),
        schemaError: errors.get(s.tableName) ?? null,
        timeline: s.timeline,
        backfillFrom: s.backfillFrom,
        quarantined: quarantined.get(s.tableName) ?? 0,
      })),
    );
  }
}
