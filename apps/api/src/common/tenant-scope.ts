import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import type { TenantRef } from '#contracts';
import type { Queryable } from '#persistence';

/** A transaction's two faces: TypeORM's manager, and the same connection for the persistence library's SQL. */
export interface Scoped {
  manager: EntityManager;
  db: Queryable;
}

/**
 * Every read or write of a tenant's control rows (registrations, stats, quarantine, batch history, markers) runs in
 * one transaction that names the tenant for row-level security, which is FORCEd on those tables: a query that
 * forgets to go through here reads nothing rather than every tenant's rows (docs/security.md).
 */
@Injectable()
export class TenantScope {
  constructor(private readonly dataSource: DataSource) {}

  run<T>(tenant: TenantRef, work: (s: Scoped) => Promise<T>): Promise<T> {
    return this.scoped(`SELECT set_config('rowferry.database_id', $1, true)`, [tenant.databaseId], work);
  }

  /** The admin's cross-tenant reads (the quarantine list), named as such; the policies allow reading, not writing. */
  acrossTenants<T>(work: (s: Scoped) => Promise<T>): Promise<T> {
    return this.scoped(`SELECT set_config('rowferry.scope', 'all-tenants', true)`, [], work);
  }

  private scoped<T>(setting: string, params: unknown[], work: (s: Scoped) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(setting, params);
      // pg's own client for the library's SQL (the manager's query() shapes UPDATE and DELETE results its own way).
      const client = await (manager.queryRunner as unknown as { connect(): Promise<PoolClient> }).connect();
      return work({ manager, db: client });
    });
  }
}
