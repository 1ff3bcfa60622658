import type { DeleteRequest, TenantRef, WireValue } from '#contracts';
import type { Queryable } from './queryable.js';

export interface PoisonRow {
  key: string;
  version: string;
  /** The row as sent: column name → wire value. */
  row: Record<string, unknown>;
  error: string;
}

/**
 * Sets refused rows aside (docs/sync-model.md, A bad row is the row's problem). A row refused again at the same version
 * counts another attempt; a newer version of the same key replaces the older entry.
 */
export async function quarantineRows(
  db: Queryable,
  tenant: TenantRef,
  table: string,
  rows: PoisonRow[],
): Promise<void> {
  if (rows.length === 0) return;
  const keys = rows.map((r) => r.key);
  const versions = rows.map((r) => r.version);
  await db.query(
    `DELETE FROM quarantine q USING unnest($3::text[], $4::bigint[]) AS u(k, v)
      WHERE q.database_id = $1 AND q.table_name = $2 AND md5(q.row_key) = md5(u.k) AND q.row_key = u.k AND q.version < u.v`,
    [tenant.databaseId, table, keys, versions],
  );
  await db.query(
    `INSERT INTO quarantine (database_id, customer_id, table_name, row_key, version, row, error)
     SELECT $1, $2, $3, u.k, u.v, u.r::json, u.e FROM unnest($4::text[], $5::bigint[], $6::text[], $7::text[]) AS u(k, v, r, e)
     ON CONFLICT (database_id, table_name, md5(row_key), version)
       DO UPDATE SET last_seen = now(), attempts = quarantine.attempts + 1, error = EXCLUDED.error, row = EXCLUDED.row`,
    [
      tenant.databaseId,
      tenant.customerId,
      table,
      keys,
      versions,
      rows.map((r) => JSON.stringify(r.row)),
      rows.map((r) => r.error),
    ],
  );
}

export async function hasQuarantine(db: Queryable, tenant: TenantRef, table: string): Promise<boolean> {
  const { rows } = await db.query<{ any: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM quarantine WHERE database_id = $1 AND table_name = $2) AS any`,
    [tenant.databaseId, table],
  );
  return rows[0].any;
}

/** A row that applied at a version resolves its quarantine entries at that version or older. */
export async function resolveQuarantine(
  db: Queryable,
  tenant: TenantRef,
  table: string,
  applied: { key: string; version: string }[],
): Promise<number> {
  if (applied.length === 0) return 0;
  const { rows } = await db.query<{ n: number }>(
    `WITH d AS (DELETE FROM quarantine q USING unnest($3::text[], $4::bigint[]) AS u(k, v)
                 WHERE q.database_id = $1 AND q.table_name = $2 AND md5(q.row_key) = md5(u.k) AND q.row_key = u.k AND q.version <= u.v RETURNING 1)
     SELECT count(*)::int AS n FROM d`,
    [tenant.databaseId, table, applied.map((a) => a.key), applied.map((a) => a.version)],
  );
  return rows[0].n;
}

/** Quarantined (key, version) pairs in some version ranges, which the difference check must not resend. */
export async function quarantinedIn(
  db: Queryable,
  tenant: TenantRef,
  table: string,
  ranges: { after: string; upTo: string }[],
): Promise<Map<string, bigint>> {
  return new Map((await quarantinedRowsIn(db, tenant, table, ranges)).map((q) => [q.key, q.version]));
}

/**
 * The quarantined rows in some version ranges: key, version and the row as sent (a content check hashes that, as the
 * agent hashes its row). A row refused for its key (NULL) has no canonical key: it can never be a remote row, so it is
 * no part of the check.
 */
export async function quarantinedRowsIn(
  db: Queryable,
  tenant: TenantRef,
  table: string,
  ranges: { after: string; upTo: string }[],
): Promise<{ key: string; version: bigint; row: Record<string, WireValue> }[]> {
  const { rows } = await db.query<{ k: string; v: string; row: Record<string, WireValue> }>(
    `SELECT q.row_key AS k, q.version::text AS v, q.row
       FROM unnest($3::bigint[], $4::bigint[]) AS r(a, b)
       JOIN quarantine q ON q.database_id = $1 AND q.table_name = $2 AND q.version > r.a AND q.version <= r.b`,
    [tenant.databaseId, table, ranges.map((r) => r.after), ranges.map((r) => r.upTo)],
  );
  return rows.filter((r) => isCanonicalKey(r.k)).map((r) => ({ key: r.k, version: BigInt(r.v), row: r.row }));
}

function isCanonicalKey(key: string): boolean {
  const parts: unknown = JSON.parse(key);
  return Array.isArray(parts) && parts.every((p) => typeof p === 'string');
}

/**
 * Of these keys, the highest quarantined version of each that has one. A remote row older than that is older on
 * purpose (its newer version was refused), not left over; a key deleted locally is deleted at that version.
 */
export async function quarantinedVersions(
  db: Queryable,
  tenant: TenantRef,
  table: string,
  keys: string[],
): Promise<Map<string, bigint>> {
  if (keys.length === 0) return new Map();
  const { rows } = await db.query<{ k: string; v: string }>(
    `SELECT row_key AS k, max(version)::text AS v FROM quarantine WHERE database_id = $1 AND table_name = $2 AND md5(row_key) = ANY(SELECT md5(k) FROM unnest($3::text[]) AS k) AND row_key = ANY($3::text[]) GROUP BY row_key`,
    [tenant.databaseId, table, keys],
  );
  return new Map(rows.map((r) => [r.k, BigInt(r.v)]));
}

/**
 * A delete takes the quarantine entries it covers with it (a quarantined row never shields its key: docs/sync-model.md,
 * A bad row is the row's problem): by key up to the delete's version, everything above a version, or all of the table's
 * entries.
 * @param keys with mode 'keys': the canonical key of each deleted key, in request order
 */
export async function forgetQuarantined(
  db: Queryable,
  tenant: TenantRef,
  table: string,
  request: DeleteRequest,
  keys: string[] = [],
): Promise<void> {
  const base = `DELETE FROM quarantine q WHERE q.database_id = $1 AND q.table_name = $2`;
  switch (request.mode) {
    case 'all':
      await db.query(base, [tenant.databaseId, table]);
      return;
    case 'above':
      await db.query(`${base} AND q.version > $3::bigint`, [tenant.databaseId, table, request.version]);
      return;
    case 'keys':
      await db.query(
        `DELETE FROM quarantine q USING unnest($3::text[], $4::bigint[]) AS u(k, v)
          WHERE q.database_id = $1 AND q.table_name = $2 AND md5(q.row_key) = md5(u.k) AND q.row_key = u.k AND q.version <= u.v`,
        [tenant.databaseId, table, keys, request.versions],
      );
  }
}
