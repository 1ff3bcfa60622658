import { Body, Controller, Get, Header, HttpCode, Param, Post, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  backfillProgressSchema,
  tableDefinitionSchema,
  type BackfillProgress,
  type TableDefinition,
  type TenantRef,
} from '#contracts';
import { DatabaseGuard, Tenant } from '../auth/database.guard.js';
import { TableRegistrationService } from './table-registration.service.js';
import { VersionInfoService } from './version-info.service.js';
import { TABLE_PARAM } from '../common/schema.pipe.js';
import { AgentsSeen } from '../ops/agents-seen.js';

/** The version answers are JSON written by PostgreSQL (VersionInfoService): a string Express would call HTML. */
const JSON_TYPE = 'application/json; charset=utf-8';

/** A database's tables: registering them, their version info, backfill progress. Tenant-scoped by DatabaseGuard. */
@ApiTags('tables')
@ApiBearerAuth('database')
@Controller('v1/customers/:customerId/databases/:databaseId/tables')
@UseGuards(DatabaseGuard)
export class TablesController {
  constructor(
    private readonly registration: TableRegistrationService,
    private readonly versions: VersionInfoService,
    private readonly agents: AgentsSeen,
  ) {}

  @Get()
  @Header('content-type', JSON_TYPE)
  all(@Tenant() tenant: TenantRef) {
    this.agents.seen(tenant.databaseId); // every pass of the agent starts here
    return this.versions.ofDatabase(tenant);
  }

  @Put(':table')
  register(
    @Tenant() tenant: TenantRef,
    @Param('table', TABLE_PARAM) table: string,
    @Body({ schema: tableDefinitionSchema }) def: TableDefinition,
  ) {
    return this.registration.register(tenant, table, def);
  }

  @Get(':table')
  @Header('content-type', JSON_TYPE)
  versionInfo(@Tenant() tenant: TenantRef, @Param('table', TABLE_PARAM) table: string) {
    return this.versions.ofTable(tenant, table);
  }

  @Post(':table/backfill')
  @HttpCode(204)
  backfill(
    @Tenant() tenant: TenantRef,
    @Param('table', TABLE_PARAM) table: string,
    @Body({ schema: backfillProgressSchema }) body: BackfillProgress,
  ): Promise<void> {
    return this.registration.backfillProgress(tenant, table, body);
  }
}
