import { Controller, Get, Header, Headers, Inject, Res, UnauthorizedException } from '@nestjs/common';
import { ApiBearerAuth, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { QueueName } from '#contracts';
import { fleetStatus, type FleetTable } from '#persistence';
import { AdminGuard } from '../auth/admin.guard.js';
import { TenantScope } from '../common/tenant-scope.js';
import { BULL_BOARD_ROUTE, type ApiConfig } from '../config.js';
import { API_CONFIG } from '../tokens.js';
import { JobQueues } from '../jobs/job-queues.js';
import { AgentsSeen } from './agents-seen.js';
import { renderStatusPage } from './status-page.js';

/** Tables shown at most: the newest changes first. */
const STATUS_TABLES = 1000;

/** `GET /ops/status`: the fleet at a glance, for a browser (basic auth with the admin token as the password). */
@ApiTags('ops')
@ApiBearerAuth('admin')
@Controller('ops')
export class StatusPageController {
  constructor(
    private readonly scope: TenantScope,
    private readonly admin: AdminGuard,
    private readonly agents: AgentsSeen,
    private readonly queues: JobQueues,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Get('status')
  @ApiProduces('text/html')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  async page(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    if (!this.admin.isAdmin(authorization, true)) {
      res.setHeader('WWW-Authenticate', 'Basic realm="rowferry admin", charset="UTF-8"');
      throw new UnauthorizedException('the status page needs the admin token (as the password of basic auth)');
    }
    const tables = await this.scope.acrossTenants(({ db }) => fleetStatus(db, STATUS_TABLES));
    const seen = await this.agents.lastSeen(tables.map((t) => t.databaseId));
    const board = this.config.BULL_BOARD_PASSWORD ? BULL_BOARD_ROUTE : undefined;
    const failedIn = new Map<FleetTable, QueueName>();
    if (board)
      for (const t of tables) {
        const queue = t.lastFailed && (await this.queues.holding(t.lastFailed.jobType, t.lastFailed.jobId));
        if (queue) failedIn.set(t, queue);
      }
    return renderStatusPage(tables, seen, new Date(), board && { route: board, failedIn });
  }
}
