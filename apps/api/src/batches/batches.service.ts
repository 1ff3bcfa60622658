import { Inject, Injectable } from '@nestjs/common';
import { LessThan } from 'typeorm';
import type { TenantRef } from '#contracts';
import { BatchRecord } from '#persistence';
import { recommendBatchSize, TUNING_WINDOW, type Recommendation, type TuningSettings } from '#sync';
import { TenantScope } from '../common/tenant-scope.js';
import { tuningSettings, type ApiConfig } from '../config.js';
import { API_CONFIG } from '../tokens.js';

@Injectable()
export class BatchesService {
  private readonly settings: TuningSettings;

  constructor(
    private readonly scope: TenantScope,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    this.settings = tuningSettings(config);
  }

  /** The table's batch history, newest first; `before` is the id of the last entry of the previous page. */
  async history(tenant: TenantRef, table: string, limit: number, before?: string) {
    const rows = await this.scope.run(tenant, ({ manager }) =>
      manager.find(BatchRecord, {
        where: { databaseId: tenant.databaseId, tableName: table, ...(before ? { id: LessThan(before) } : {}) },
        order: { id: 'DESC' },
        take: limit,
      }),
    );
    return {
      batches: rows.map(({ databaseId: _d, customerId: _c, tableName: _t, ...b }) => ({
        ...b,
        bytes: Number(b.bytes),
      })),
      nextBefore: rows.length === limit ? rows[rows.length - 1].id : null,
    };
  }

  async tuning(tenant: TenantRef, table: string): Promise<Recommendation & { settings: TuningSettings }> {
    const recent = await this.scope.run(tenant, ({ manager }) =>
      manager.find(BatchRecord, {
        where: { databaseId: tenant.databaseId, tableName: table, jobType: 'upload' },
        order: { id: 'DESC' },
        take: TUNING_WINDOW,
      }),
    );
    const samples = recent.map((b) => ({
      rows: b.rows,
      bytes: Number(b.bytes),
      durationMs: b.durationMs,
      outcome: b.outcome,
    }));
    return { ...recommendBatchSize(samples, this.settings), settings: this.settings };
  }
}
