import type { QueryResultRow } from 'pg';

/** A pg Pool or PoolClient: what the SQL helpers here need. */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}
