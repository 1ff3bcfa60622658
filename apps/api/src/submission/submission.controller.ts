import { Body, Controller, Delete, Headers, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  deleteRequestSchema,
  manifestCheckRequestSchema,
  rangeHashRequestSchema,
  uploadRequestSchema,
  type DeleteRequest,
  type EnqueuedJob,
  type ManifestCheckRequest,
  type RangeHashRequest,
  type TenantRef,
  type UploadRequest,
} from '#contracts';
import { DatabaseGuard, Tenant } from '../auth/database.guard.js';
import { SubmissionService } from './submission.service.js';
import { TABLE_PARAM } from '../common/schema.pipe.js';

/**
 * The routes that become jobs: 202 with the job's id, whose status is at GET …/jobs/{id}. Tenant-scoped by
 * DatabaseGuard.
 */
@ApiTags('rows')
@ApiBearerAuth('database')
@Controller('v1/customers/:customerId/databases/:databaseId/tables/:table')
@UseGuards(DatabaseGuard)
export class SubmissionController {
  constructor(private readonly submission: SubmissionService) {}

  @Post()
  @HttpCode(202)
  async upload(
    @Tenant() tenant: TenantRef,
    @Param('table', TABLE_PARAM) table: string,
    @Body({ schema: uploadRequestSchema }) body: UploadRequest,
    @Headers('content-length') contentLength: string | undefined,
  ): Promise<EnqueuedJob> {
    return { jobId: await this.submission.upload(tenant, table, body, Number(contentLength ?? 0)) };
  }

  @Delete()
  @HttpCode(202)
  async delete(
    @Tenant() tenant: TenantRef,
    @Param('table', TABLE_PARAM) table: string,
    @Body({ schema: deleteRequestSchema }) body: DeleteRequest,
  ): Promise<EnqueuedJob> {
    return { jobId: await this.submission.delete(tenant, table, body) };
  }

  @Post('manifest-check')
  @HttpCode(202)
  async manifestCheck(
    @Tenant() tenant: TenantRef,
    @Param('table', TABLE_PARAM) table: string,
    @Body({ schema: manifestCheckRequestSchema }) body: ManifestCheckRequest,
  ): Promise<EnqueuedJob> {
    return { jobId: await this.submission.manifestCheck(tenant, table, body) };
  }

  @Post('range-hash')
  @HttpCode(202)
  async rangeHash(
    @Tenant() tenant: TenantRef,
    @Param('table', TABLE_PARAM) table: string,
    @Body({ schema: rangeHashRequestSchema }) body: RangeHashRequest,
  ): Promise<EnqueuedJob> {
    return { jobId: await this.submission.rangeHash(tenant, table, body) };
  }
}
