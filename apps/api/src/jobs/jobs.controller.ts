import { Controller, Get, NotFoundException, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { jobStatusQuerySchema, type JobStatus, type JobStatusQuery, type TenantRef } from '#contracts';
import { DatabaseGuard, Tenant } from '../auth/database.guard.js';
import { JobQueueService } from './job-queue.service.js';

/** Where the agent learns how its jobs went. */
@ApiTags('jobs')
@ApiBearerAuth('database')
@Controller('v1/customers/:customerId/databases/:databaseId/jobs')
@UseGuards(DatabaseGuard)
export class JobsController {
  constructor(private readonly jobs: JobQueueService) {}

  @Get(':jobId')
  async job(
    @Tenant() tenant: TenantRef,
    @Param('jobId') jobId: string,
    @Query({ schema: jobStatusQuerySchema }) query: JobStatusQuery,
  ): Promise<JobStatus> {
    const status = await this.jobs.status(tenant, jobId, query.waitMs);
    if (!status) throw new NotFoundException(`job ${jobId} does not exist for this database`);
    return status;
  }
}
