import { Body, Controller, Get, HttpCode, Param, Post, Put, UseGuards } from '@nestjs/common';
import {
  backfillProgressSchema,
  tableDefinitionSchema,
  type BackfillProgress,
  type TableDefinition,
  type TenantRef,
} from '#contracts';
import { DatabaseGuard, Tenant } from '../auth/database.guard.js';
import { TableNamePipe } from '../common/table-name.pipe.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { TableRegistrationService } from './table-registration.service.js';
import { VersionInfoService } from './version-info.service.js';

/** A database's tables: registering them, their version info, backfill progress. Tenant-scoped by DatabaseGuard. */
@Controller('v1/customers/:customerId/databases/:databaseId/tables')
@UseGuards(DatabaseGuard)
export class TablesController {
  constructor(
    private readonly registration: TableRegistrationService,
    private readonly versions: VersionInfoService,
  ) {}

  @Get()
  all(@Tenant() tenant: TenantRef) {
    return this.versions.ofDatabase(tenant);
  }

  @Put(':table')
  register(
    @Tenant() tenant: TenantRef,
    @Param('table', TableNamePipe) table: string,
    @Body(new ZodPipe(tableDefinitionSchema)) def: TableDefinition,
  ) {
    return this.registration.register(tenant, table, def);
  }

  @Get(':table')
  versionInfo(@Tenant() tenant: TenantRef, @Param('table', TableNamePipe) table: string) {
    return this.versions.ofTable(tenant, table);
  }

  @Post(':table/backfill')
  @HttpCode(204)
  backfill(
    @Tenant() tenant: TenantRef,
    @Param('table', TableNamePipe) table: string,
    @Body(new ZodPipe(backfillProgressSchema)) body: BackfillProgress,
  ): Promise<void> {
    return this.registration.backfillProgress(tenant, table, body);
  }
}
