import { Injectable, NotFoundException } from '@nestjs/common';
import { LessThan } from 'typeorm';
import type { TenantRef, WireValue } from '#contracts';
import { QuarantinedRow } from '#persistence';
import { TenantScope, type Scoped } from '../common/tenant-scope.js';
import { SubmissionService } from '../submission/submission.service.js';

@Injectable()
export class QuarantineService {
  constructor(
    private readonly scope: TenantScope,
    private readonly submission: SubmissionService,
  ) {}

  /** Quarantined rows, newest first, for one tenant's table or (admin) across tenants. */
  async list(filter: { tenant?: TenantRef; table?: string }, limit: number, before?: string) {
    const find = ({ manager }: Scoped) =>
      manager.find(QuarantinedRow, {
        where: {
          ...(filter.tenant ? { databaseId: filter.tenant.databaseId } : {}),
          ...(filter.table ? { tableName: filter.table } : {}),
          ...(before ? { id: LessThan(before) } : {}),
        },
        order: { id: 'DESC' },
        take: limit,
      });
    const rows = await (filter.tenant ? this.scope.run(filter.tenant, find) : this.scope.acrossTenants(find));
    return { rows, nextBefore: rows.length === limit ? rows[rows.length - 1].id : null };
  }

  /** Sends a quarantined row again exactly as it was sent; jobs are idempotent, so retrying is always safe. */
  async retry(id: string, tenant?: TenantRef, table?: string): Promise<string> {
    const find = ({ manager }: Scoped) =>
      manager.findOneBy(QuarantinedRow, {
        id,
        ...(tenant ? { databaseId: tenant.databaseId } : {}),
        ...(table ? { tableName: table } : {}),
      });
    const q = await (tenant ? this.scope.run(tenant, find) : this.scope.acrossTenants(find));
    if (!q) throw new NotFoundException(`quarantined row ${id} does not exist${tenant ? ' for this database' : ''}`);
    const columns = Object.keys(q.row);
    const rows = { columns, values: columns.map((c) => [q.row[c] as WireValue]), versions: [q.version] };
    // As the agent would send it: checked again, on an intake thread, as any upload is.
    return this.submission.upload(
      { customerId: q.customerId, databaseId: q.databaseId },
      q.tableName,
      Buffer.from(JSON.stringify({ rows })),
    );
  }
}
