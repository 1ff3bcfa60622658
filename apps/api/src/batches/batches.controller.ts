import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { TenantRef } from '#contracts';
import { DatabaseGuard, Tenant } from '../auth/database.guard.js';
import { pageSchema, type Page } from '../common/page.js';
import { BatchesService } from './batches.service.js';
import { TABLE_PARAM } from '../common/schema.pipe.js';

/** How ops (and the agent) see why a table syncs the way it does. */
@ApiTags('batches and tuning')
@ApiBearerAuth('database')
@Controller('v1/customers/:customerId/databases/:databaseId/tables/:table')
@UseGuards(DatabaseGuard)
export class BatchesController {
  constructor(private readonly batches: BatchesService) {}

  @Get('batches')
  history(
    @Tenant() tenant: TenantRef,
    @Param('table', TABLE_PARAM) table: string,
    @Query({ schema: pageSchema }) page: Page,
  ) {
    return this.batches.history(tenant, table, page.limit, page.before);
  }

  @Get('tuning')
  tuning(@Tenant() tenant: TenantRef, @Param('table', TABLE_PARAM) table: string) {
    return this.batches.tuning(tenant, table);
  }
}
