import { BadRequestException, Injectable } from '@nestjs/common';
import type { ColumnDef, DeleteRequest, ManifestCheckRequest, RangeHashRequest, TenantRef } from '#contracts';
import type { TableShape } from '#persistence';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { TableRegistrationService } from '../tables/table-registration.service.js';
import { UploadIntake } from './upload-intake.pool.js';
import { checkKeys, keyDefs } from './upload-job.js';

/**
 * Turns the agent's requests into jobs: each is checked against the table as registered (a 400 names what is wrong)
 * and enqueued with the column definitions the worker needs; the answer is the job's id.
 */
@Injectable()
export class SubmissionService {
  constructor(
    private readonly tables: TableRegistrationService,
    private readonly jobs: JobQueueService,
    private readonly intake: UploadIntake,
  ) {}

  /** The body goes to an intake thread unread (UploadIntake); the main thread only looks up the table. */
  async upload(tenant: TenantRef, table: string, body: Uint8Array | undefined): Promise<string> {
    const shape = await this.tables.registered(tenant, table);
    return this.jobs.add(await this.intake.take({ body, tenant, table, shape }));
  }

  async delete(tenant: TenantRef, table: string, request: DeleteRequest): Promise<string> {
    const reg = await this.tables.registered(tenant, table);
    if (request.mode === 'keys') {
      const keys = checkKeys(reg, table, request);
      if (keys.problem !== undefined) throw new BadRequestException(keys.problem);
      const [firstRefused] = keys.refused.entries();
      if (firstRefused) throw new BadRequestException(`table "${table}": key ${firstRefused[0]}: ${firstRefused[1]}`);
    }
    return this.jobs.enqueue('delete', { tenant, table, key: keyDefs(reg), request });
  }

  async manifestCheck(tenant: TenantRef, table: string, req: ManifestCheckRequest): Promise<string> {
    const reg = await this.tables.registered(tenant, table);
    const { columns, ...rest } = req;
    return this.jobs.enqueue('manifest-check', {
      tenant,
      table,
      key: keyDefs(reg),
      ...rest,
      ...contentColumns(reg, table, columns),
    });
  }

  async rangeHash(tenant: TenantRef, table: string, req: RangeHashRequest): Promise<string> {
    const reg = await this.tables.registered(tenant, table);
    const { columns, ...rest } = req;
    return this.jobs.enqueue('range-hash', {
      tenant,
      table,
      key: keyDefs(reg),
      ...rest,
      ...contentColumns(reg, table, columns),
    });
  }
}

/** A content check's columns as registered, in the agent's order; a 400 names one the table does not have. */
function contentColumns(reg: TableShape, table: string, names: string[] | undefined): { columns?: ColumnDef[] } {
  if (!names) return {};
  const byName = new Map(reg.columns.map((c) => [c.name, c]));
  const unknown = names.find((n) => !byName.has(n));
  if (unknown !== undefined)
    throw new BadRequestException(`table "${table}": column "${unknown}" is not registered for this table`);
  return { columns: names.map((n) => byName.get(n)!) };
}
