import { Body, Controller, Delete, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
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
} from '#contracts';
import { DatabaseGuard, Tenant } from '../auth/database.guard.js';
import { SubmissionService } from './submission.service.js';
import { TABLE_PARAM } from '../common/schema.pipe.js';
import { openApiSchema } from '../ops/openapi.js';

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

  /** The body is not parsed here: it goes to an intake thread as received (readJsonBodies, UploadIntake). */
  @Post()
  @HttpCode(202)
  @ApiBody({ schema: openApiSchema(uploadRequestSchema, 'input') })
  async upload(
    @Tenant() tenant: TenantRef,
    @Param('table', TABLE_PARAM) table: string,
    @Body() body: Buffer | undefined,
  ): Promise<EnqueuedJob> {
    return { jobId: await this.submission.upload(tenant, table, Buffer.isBuffer(body) ? body : undefined) };
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
