import { Injectable } from '@nestjs/common';
import type { Pool, PoolClient, QueryResult } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import { isCanonicalUuid, type TenantRef } from '#contracts';
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

  /** The connections, for a function that names the tenant itself (rowferry_standings): no transaction needed. */
  get pool(): Pool {
    return (this.dataSource.driver as unknown as { master: Pool }).master;
  }

  run<T>(tenant: TenantRef, work: (s: Scoped) => Promise<T>): Promise<T> {
    return this.scoped(`SELECT set_config('rowferry.database_id', $1, true)`, [tenant.databaseId], work);
  }

  /**
   * One statement over a tenant's control rows in a single round trip, for the hot path (the registration every
   * upload is checked against): the transaction, the tenant's name for row-level security and the statement go as one
   * simple query, on a connection of the same pool without TypeORM's transaction machinery. The statement takes no
   * parameters: its values are written in by its maker, which must accept only values that need no quoting
   * (tableShapeSql).
   */
  async readOnce<R>(tenant: TenantRef, statement: string): Promise<R[]> {
    if (!isCanonicalUuid(tenant.databaseId)) throw new Error(`not a canonical database id: ${tenant.databaseId}`);
    const client = await this.pool.connect();
    try {
      const results = (await client.query(
        `BEGIN; SELECT set_config('rowferry.database_id', '${tenant.databaseId}', true); ${statement}; COMMIT`,
      )) as unknown as QueryResult[];
      client.release();
      return results[2].rows as R[];
    } catch (err) {
      // A connection whose transaction could not be ended is not given back to the pool.
      const ended = await client.query('ROLLBACK').then(
        () => true,
        () => false,
      );
      client.release(!ended);
      throw err;
    }
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
