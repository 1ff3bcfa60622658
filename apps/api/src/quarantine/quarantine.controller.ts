import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { tableNameSchema, type EnqueuedJob, type TenantRef } from '#contracts';
import { AdminGuard } from '../auth/admin.guard.js';
import { DatabaseGuard, Tenant } from '../auth/database.guard.js';
import { pageSchema, rowIdSchema, type Page } from '../common/page.js';
import { QuarantineService } from './quarantine.service.js';
import { TABLE_PARAM } from '../common/schema.pipe.js';

const QUARANTINE_ID = { schema: rowIdSchema.meta({ title: 'quarantine id' }) };

/** A tenant's view of its refused rows. */
@ApiTags('quarantine')
@ApiBearerAuth('database')
@Controller('v1/customers/:customerId/databases/:databaseId/tables/:table/quarantine')
@UseGuards(DatabaseGuard)
export class QuarantineController {
  constructor(private readonly quarantine: QuarantineService) {}

  @Get()
  list(
    @Tenant() tenant: TenantRef,
    @Param('table', TABLE_PARAM) table: string,
    @Query({ schema: pageSchema }) page: Page,
  ) {
    return this.quarantine.list({ tenant, table }, page.limit, page.before);
  }

  @Post(':id/retry')
  @HttpCode(202)
  async retry(
    @Tenant() tenant: TenantRef,
    @Param('table', TABLE_PARAM) table: string,
    @Param('id', QUARANTINE_ID) id: string,
  ): Promise<EnqueuedJob> {
    return { jobId: await this.quarantine.retry(id, tenant, table) };
  }
}

/** Ops' view across tenants. */
@ApiTags('admin')
@ApiBearerAuth('admin')
@Controller('v1/admin/quarantine')
@UseGuards(AdminGuard)
export class AdminQuarantineController {
  constructor(private readonly quarantine: QuarantineService) {}

  @Get()
  list(
    @Query({ schema: pageSchema.extend({ table: tableNameSchema.optional() }) })
    page: Page & { table?: string },
  ) {
    return this.quarantine.list({ table: page.table }, page.limit, page.before);
  }

  @Post(':id/retry')
  @HttpCode(202)
  async retry(@Param('id', QUARANTINE_ID) id: string): Promise<EnqueuedJob> {
    return { jobId: await this.quarantine.retry(id) };
  }
}
