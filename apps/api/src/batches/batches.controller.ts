import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import type { TenantRef } from '#contracts';
import { DatabaseGuard, Tenant } from '../auth/database.guard.js';
import { pageSchema, type Page } from '../common/page.js';
import { TableNamePipe } from '../common/table-name.pipe.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { BatchesService } from './batches.service.js';

/** How ops (and the agent) see why a table syncs the way it does. */
@Controller('v1/customers/:customerId/databases/:databaseId/tables/:table')
@UseGuards(DatabaseGuard)
export class BatchesController {
  constructor(private readonly batches: BatchesService) {}

  @Get('batches')
  history(
    @Tenant() tenant: TenantRef,
    @Param('table', TableNamePipe) table: string,
    @Query(new ZodPipe(pageSchema, 'query')) page: Page,
  ) {
    return this.batches.history(tenant, table, page.limit, page.before);
  }

  @Get('tuning')
  tuning(@Tenant() tenant: TenantRef, @Param('table', TableNamePipe) table: string) {
    return this.batches.tuning(tenant, table);
  }
}
