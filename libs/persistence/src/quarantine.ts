import type { TenantRef } from '#contracts';
import type { Queryable } from './queryable.js';

export interface PoisonRow {
  key: string;
  version: string;
  /** The row as sent: column name → wire value. */
  row: Record<string, unknown>;
  error: string;
}

/**
 * Sets refused rows aside (design §4). A row refused again at the same version counts another attempt; a newer
 * version of the same key replaces the older entry.
 */
export async function quarantineRows(db: Queryable, tenant: TenantRef, table: string, rows: PoisonRow[]): Promise<void> {
  if (rows.length === 0) return;
  const keys = rows.map((r) => r.key);
  const versions = rows.map((r) => r.version);
  await db.query(
    `DELETE FROM quarantine q USING unnest($3::text[], $4::bigint[]) AS u(k, v)
      WHERE q.database_id = $1 AND q.table_name = $2 AND q.row_key = u.k AND q.version < u.v`,
    [tenant.databaseId, table, keys, versions],
  );
  await db.query(
    `INSERT INTO quarantine (database_id, customer_id, table_name, row_key, version, row, error)
     SELECT $1, $2, $3, u.k, u.v, u.r::json, u.e FROM unnest($4::text[], $5::bigint[], $6::text[], $7::text[]) AS u(k, v, r, e)
     ON CONFLICT (database_id, table_name, row_key, version)
       DO UPDATE SET last_seen = now(), attempts = quarantine.attempts + 1, error = EXCLUDED.error, row = EXCLUDED.row`,
    [tenant.databaseId, tenant.customerId, table, keys, versions, rows.map((r) => JSON.stringify(r.row)), rows.map((r) => r.error)],
  );
}

export async function hasQuarantine(db: Queryable, tenant: TenantRef, table: string): Promise<boolean> {
  const { rows } = await db.query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM quarantine WHERE database_id = $1 AND table_name = $2) AS any`, [tenant.databaseId, table]);
  return rows[0].any;
}

/** A row that applied at a version resolves its quarantine entries at that version or older. */
export async function resolveQuarantine(db: Queryable, tenant: TenantRef, table: string, applied: { key: string; version: string }[]): Promise<number> {
  if (applied.length === 0) return 0;
  const { rows } = await db.query<{ n: number }>(
    `WITH d AS (DELETE FROM quarantine q USING unnest($3::text[], $4::bigint[]) AS u(k, v)
                 WHERE q.database_id = $1 AND q.table_name = $2 AND q.row_key = u.k AND q.version <= u.v RETURNING 1)
     SELECT count(*)::int AS n FROM d`,
    [tenant.databaseId, table, applied.map((a) => a.key), applied.map((a) => a.version)],
  );
  return rows[0].n;
}

/** Quarantined (key, version) pairs in a version slice, which the difference check must not resend. */
export async function quarantinedInSlice(db: Queryable, tenant: TenantRef, table: string, after: string, upTo: string): Promise<Map<string, bigint>> {
  const { rows } = await db.query<{ k: string; v: string }>(
    `SELECT row_key AS k, version::text AS v FROM quarantine WHERE database_id = $1 AND table_name = $2 AND version > $3 AND version <= $4`,
    [tenant.databaseId, table, after, upTo],
  );
  return new Map(rows.map((r) => [r.k, BigInt(r.v)]));
}
