import { Injectable, NotFoundException } from '@nestjs/common';
import type { MarkerFacts, MarkerRequest, TenantRef } from '#contracts';
import { markerFacts, recordMarker, restoredToMarker } from '#persistence';
import { TenantScope } from '../common/tenant-scope.js';

/** The server side of restore detection: each database's marker history (docs/sync-model.md, Restores). */
@Injectable()
export class MarkersService {
  constructor(private readonly scope: TenantScope) {}

  async facts(tenant: TenantRef, markerId: string | undefined): Promise<MarkerFacts> {
    const { serverHasMarkers, recorded } = await this.scope.run(tenant, ({ db }) =>
      markerFacts(db, tenant.databaseId, markerId),
    );
    return {
      serverHasMarkers,
      recorded: recorded
        ? { id: recorded.id, watermark: recorded.watermark.toString(), newest: recorded.newest }
        : null,
    };
  }

  record(tenant: TenantRef, marker: MarkerRequest): Promise<void> {
    return this.scope.run(tenant, ({ db }) => recordMarker(db, tenant.databaseId, marker));
  }

  async restored(tenant: TenantRef, markerId: string): Promise<void> {
    if (!(await this.scope.run(tenant, ({ db }) => restoredToMarker(db, tenant.databaseId, markerId))))
      throw new NotFoundException(`marker ${markerId} is not one of this database's`);
  }
}
