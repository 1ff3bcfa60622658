import { BadRequestException, Injectable } from '@nestjs/common';
import {
  checkRows,
  type ColumnDef,
  partitionRows,
  type DeletedKeys,
  type DeleteRequest,
  type ManifestCheckRequest,
  type RangeHashRequest,
  type TenantRef,
  type UploadRequest,
} from '#contracts';
import type { RegisteredTable } from '#persistence';
import { JobQueueService } from '../jobs/job-queue.service.js';
import { keyDefs, TableRegistrationService } from '../tables/table-registration.service.js';

/**
 * Turns the agent's requests into jobs: each is checked against the table as registered (a 400 names what is wrong)
 * and enqueued with the column definitions the worker needs; the answer is the job's id.
 */
@Injectable()
export class SubmissionService {
  constructor(
    private readonly tables: TableRegistrationService,
    private readonly jobs: JobQueueService,
  ) {}

  async upload(tenant: TenantRef, table: string, req: UploadRequest, bytes: number): Promise<string> {
    const reg = await this.tables.registered(tenant, table);
    const { problem, refused } = checkRows(reg.columns, reg.keyColumns, req.rows);
    if (problem) throw new BadRequestException(`table "${table}": ${problem}`);
    // A deleted key of the wrong type can only name a row the remote never took (it was quarantined): the worker
    // finds that out and forgets the quarantine entry, so it is no reason to refuse the batch.
    if (req.deletes) checkKeys(reg, table, req.deletes);
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
      ...(bad
        ? {
            refused: {
              rows: bad,
              reasons: [...refused.entries()].sort(([a], [b]) => a - b).map(([, reason]) => reason),
            },
          }
        : {}),
      ...(req.deletes?.versions.length ? { deletes: req.deletes } : {}),
      range: req.range,
      timeline: req.timeline,
      bytes,
    });
  }

  async delete(tenant: TenantRef, table: string, request: DeleteRequest): Promise<string> {
    const reg = await this.tables.registered(tenant, table);
    if (request.mode === 'keys') {
      const [firstRefused] = checkKeys(reg, table, request).entries();
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

/**
 * Checks deleted keys against the table's key columns: a 400 when the request is malformed; the keys whose values do
 * not fit their column (position → reason) otherwise.
 */
function checkKeys(reg: RegisteredTable, table: string, d: DeletedKeys): Map<number, string> {
  if (d.keys.length !== reg.keyColumns.length)
    throw new BadRequestException(
      `table "${table}" has ${reg.keyColumns.length} key column(s) (${reg.keyColumns.join(', ')}); the request gives ${d.keys.length} key array(s)`,
    );
  const { problem, refused } = checkRows(keyDefs(reg), reg.keyColumns, {
    columns: reg.keyColumns,
    values: d.keys,
    versions: d.versions,
  });
  if (problem) throw new BadRequestException(`table "${table}": ${problem}`);
  return refused;
}

/** A content check's columns as registered, in the agent's order; a 400 names one the table does not have. */
function contentColumns(reg: RegisteredTable, table: string, names: string[] | undefined): { columns?: ColumnDef[] } {
  if (!names) return {};
  const byName = new Map(reg.columns.map((c) => [c.name, c]));
  const unknown = names.find((n) => !byName.has(n));
  if (unknown !== undefined)
    throw new BadRequestException(`table "${table}": column "${unknown}" is not registered for this table`);
  return { columns: names.map((n) => byName.get(n)!) };
}
