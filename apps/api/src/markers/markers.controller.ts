import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { markerSchema, type MarkerFacts, type MarkerRequest, type TenantRef } from '#contracts';
import { DatabaseGuard, Tenant } from '../auth/database.guard.js';
import { MarkersService } from './markers.service.js';

const markerId = z.uuid().meta({ title: 'marker id' });
const factsQuery = z.object({ local: markerId.optional() });

/** Restore markers: the agent asks before each pass and records each marker before writing it locally. */
@ApiTags('restore markers')
@ApiBearerAuth('database')
@Controller('v1/customers/:customerId/databases/:databaseId/markers')
@UseGuards(DatabaseGuard)
export class MarkersController {
  constructor(private readonly markers: MarkersService) {}

  @Get()
  facts(
    @Tenant() tenant: TenantRef,
    @Query({ schema: factsQuery }) query: z.infer<typeof factsQuery>,
  ): Promise<MarkerFacts> {
    return this.markers.facts(tenant, query.local);
  }

  @Post()
  @HttpCode(204)
  record(@Tenant() tenant: TenantRef, @Body({ schema: markerSchema }) marker: MarkerRequest): Promise<void> {
    return this.markers.record(tenant, marker);
  }

  @Post(':markerId/restored')
  @HttpCode(204)
  restored(@Tenant() tenant: TenantRef, @Param('markerId', { schema: markerId }) id: string): Promise<void> {
    return this.markers.restored(tenant, id);
  }
}
