import { Injectable } from '@nestjs/common';
import type { TenantRef } from '#contracts';
import { readStandings } from '#persistence';
import { TenantScope } from '../common/tenant-scope.js';
import { JobsInFlight } from '../jobs/jobs-in-flight.js';
import { notRegistered } from './table-registration.service.js';

/**
 * What the agent asks at the start of every pass: where each table stands remotely. The answers are JSON as
 * PostgreSQL wrote it (readStandings), sent unparsed: VersionInfo for one table, VersionInfo[] for all.
 */
@Injectable()
export class VersionInfoService {
  constructor(
    private readonly scope: TenantScope,
    private readonly jobs: JobsInFlight,
  ) {}

  async ofTable(tenant: TenantRef, table: string): Promise<string> {
    const info = await readStandings(this.scope.pool, tenant, await this.jobs.pendingJobs(tenant), table);
    if (info === undefined) throw notRegistered(table);
    return info;
  }

  /**
   * Version info for every table of the database in one call, so a pass over an unchanged database costs one
   * request.
   */
  async ofDatabase(tenant: TenantRef): Promise<string> {
    return (await readStandings(this.scope.pool, tenant, await this.jobs.pendingJobs(tenant)))!;
  }
}
