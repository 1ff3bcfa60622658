import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { tableNameSchema, type EnqueuedJob, type TenantRef } from '#contracts';
import { AdminGuard } from '../auth/admin.guard.js';
import { DatabaseGuard, Tenant } from '../auth/database.guard.js';
import { pageSchema, rowIdSchema, type Page } from '../common/page.js';
import { TableNamePipe } from '../common/table-name.pipe.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { QuarantineService } from './quarantine.service.js';

const idPipe = new ZodPipe(rowIdSchema, 'quarantine id');

/** A tenant's view of its refused rows. */
@Controller('v1/customers/:customerId/databases/:databaseId/tables/:table/quarantine')
@UseGuards(DatabaseGuard)
export class QuarantineController {
  constructor(private readonly quarantine: QuarantineService) {}

  @Get()
  list(
    @Tenant() tenant: TenantRef,
    @Param('table', TableNamePipe) table: string,
    @Query(new ZodPipe(pageSchema, 'query')) page: Page,
  ) {
    return this.quarantine.list({ tenant, table }, page.limit, page.before);
  }

  @Post(':id/retry')
  @HttpCode(202)
  async retry(
    @Tenant() tenant: TenantRef,
    @Param('table', TableNamePipe) table: string,
    @Param('id', idPipe) id: string,
  ): Promise<EnqueuedJob> {
    return { jobId: await this.quarantine.retry(id, tenant, table) };
  }
}

/** Ops' view across tenants. */
@Controller('v1/admin/quarantine')
@UseGuards(AdminGuard)
export class AdminQuarantineController {
  constructor(private readonly quarantine: QuarantineService) {}

  @Get()
  list(
    @Query(new ZodPipe(pageSchema.extend({ table: tableNameSchema.optional() }), 'query'))
    page: Page & { table?: string },
  ) {
    return this.quarantine.list({ table: page.table }, page.limit, page.before);
  }

  @Post(':id/retry')
  @HttpCode(202)
  async retry(@Param('id', idPipe) id: string): Promise<EnqueuedJob> {
    return { jobId: await this.quarantine.retry(id) };
  }
}
