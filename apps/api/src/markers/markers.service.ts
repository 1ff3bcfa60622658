import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { Pool } from 'pg';
import type { MarkerFacts, MarkerRequest, TenantRef } from '#contracts';
import { markerFacts, recordMarker, restoredToMarker } from '#persistence';
import { PG_POOL } from '../tables/tables.service.js';

/** The server side of restore detection: each database's marker history (design §3.3). */
@Injectable()
export class MarkersService {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async facts(tenant: TenantRef, markerId: string | undefined): Promise<MarkerFacts> {
    const { serverHasMarkers, recorded } = await markerFacts(this.pool, tenant.databaseId, markerId);
    return { serverHasMarkers, recorded: recorded ? { id: recorded.id, watermark: recorded.watermark.toString(), newest: recorded.newest } : null };
  }

  record(tenant: TenantRef, marker: MarkerRequest): Promise<void> {
    return recordMarker(this.pool, tenant.databaseId, marker);
  }

  async restored(tenant: TenantRef, markerId: string): Promise<void> {
    if (!(await restoredToMarker(this.pool, tenant.databaseId, markerId))) throw new NotFoundException(`marker ${markerId} is not one of this database's`);
  }
}
