import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Put, UseGuards } from '@nestjs/common';
import {
  backfillProgressSchema,
  deleteRequestSchema,
  manifestCheckRequestSchema,
  rangeHashRequestSchema,
  tableDefinitionSchema,
  uploadRequestSchema,
  type BackfillProgress,
  type DeleteRequest,
  type EnqueuedJob,
  type ManifestCheckRequest,
  type RangeHashRequest,
  type TableDefinition,
  type TenantRef,
  type UploadRequest,
} from '#contracts';
import { DatabaseGuard, Tenant } from '../auth/database.guard.js';
import { TableNamePipe } from '../common/table-name.pipe.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { TablesService } from './tables.service.js';

/** The agent's endpoints. Every route is tenant-scoped by DatabaseGuard. */
@Controller('v1/customers/:customerId/databases/:databaseId')
@UseGuards(DatabaseGuard)
export class TablesController {
  constructor(private readonly tables: TablesService) {}

  @Get('tables')
  all(@Tenant() tenant: TenantRef) {
    return this.tables.allVersionInfo(tenant);
  }

  @Put('tables/:table')
  register(@Tenant() tenant: TenantRef, @Param('table', TableNamePipe) table: string, @Body(new ZodPipe(tableDefinitionSchema)) def: TableDefinition) {
    return this.tables.register(tenant, table, def);
  }

  @Get('tables/:table')
  versionInfo(@Tenant() tenant: TenantRef, @Param('table', TableNamePipe) table: string) {
    return this.tables.versionInfo(tenant, table);
  }

  @Post('tables/:table')
  @HttpCode(202)
  async upload(
    @Tenant() tenant: TenantRef,
    @Param('table', TableNamePipe) table: string,
    @Body(new ZodPipe(uploadRequestSchema)) body: UploadRequest,
    @Headers('content-length') contentLength: string | undefined,
  ): Promise<EnqueuedJob> {
    return { jobId: await this.tables.upload(tenant, table, body, Number(contentLength ?? 0)) };
  }

  @Delete('tables/:table')
  @HttpCode(202)
  async delete(@Tenant() tenant: TenantRef, @Param('table', TableNamePipe) table: string, @Body(new ZodPipe(deleteRequestSchema)) body: DeleteRequest): Promise<EnqueuedJob> {
    return { jobId: await this.tables.delete(tenant, table, body) };
  }

  @Post('tables/:table/manifest-check')
  @HttpCode(202)
  async manifestCheck(
    @Tenant() tenant: TenantRef,
    @Param('table', TableNamePipe) table: string,
    @Body(new ZodPipe(manifestCheckRequestSchema)) body: ManifestCheckRequest,
  ): Promise<EnqueuedJob> {
    return { jobId: await this.tables.manifestCheck(tenant, table, body) };
  }

  @Post('tables/:table/range-hash')
  @HttpCode(202)
  async rangeHash(@Tenant() tenant: TenantRef, @Param('table', TableNamePipe) table: string, @Body(new ZodPipe(rangeHashRequestSchema)) body: RangeHashRequest): Promise<EnqueuedJob> {
    return { jobId: await this.tables.rangeHash(tenant, table, body) };
  }

  @Post('tables/:table/backfill')
  @HttpCode(204)
  backfill(@Tenant() tenant: TenantRef, @Param('table', TableNamePipe) table: string, @Body(new ZodPipe(backfillProgressSchema)) body: BackfillProgress): Promise<void> {
    return this.tables.backfillProgress(tenant, table, body);
  }
}
