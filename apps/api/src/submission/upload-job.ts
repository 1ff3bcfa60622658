import {
  checkRows,
  partitionRows,
  type ColumnDef,
  type DeletedKeys,
  type TenantRef,
  type UploadJob,
  type UploadRequest,
} from '#contracts';
import type { TableShape } from '#persistence';

/** A request's job, or what is wrong with the request (a 400 says it). */
export type Checked<T> = { job: T; problem?: undefined } | { job?: undefined; problem: string };

/**
 * An upload request checked against its table as registered, and the job that applies it: the columns' definitions
 * the worker needs, and the rows that do not fit set aside with their reasons. No I/O: it runs on an intake thread.
 */
export function uploadJob(
  tenant: TenantRef,
  table: string,
  shape: TableShape,
  req: UploadRequest,
  bytes: number,
): Checked<UploadJob> {
  const { problem, refused } = checkRows(shape.columns, shape.keyColumns, req.rows);
  if (problem) return { problem: `table "${table}": ${problem}` };
  // A deleted key of the wrong type can only name a row the remote never took (it was quarantined): the worker
  // finds that out and forgets the quarantine entry, so it is no reason to refuse the batch.
  const keys = req.deletes ? checkKeys(shape, table, req.deletes) : undefined;
  if (keys?.problem) return keys;
  const byName = new Map(shape.columns.map((c) => [c.name, c]));
  // A bad row is the row's problem, not the table's (docs/sync-model.md): it travels aside, to the quarantine.
  const [bad, rows] = refused.size ? partitionRows(req.rows, new Set(refused.keys())) : [undefined, req.rows];
  const replace = req.replace?.filter((_, r) => !refused.has(r));
  return {
    job: {
      tenant,
      table,
      key: keyDefs(shape),
      columns: req.rows.columns.map((n) => byName.get(n)!),
      rows,
      ...(replace ? { replace } : {}),
      ...(bad
        ? {
            refused: {
              rows: bad,
              reasons: [...refused.entries()].sort(([a], [b]) => a - b).map(([, reason]) => reason),
            },
          }
        : {}),
      ...(req.deletes?.versions.length ? { deletes: req.deletes } : {}),
      range: req.range,
      timeline: req.timeline,
      bytes,
    },
  };
}

/**
 * Deleted keys checked against the table's key columns: a problem when the request is malformed; otherwise the keys
 * whose values do not fit their column (position → reason).
 */
export function checkKeys(
  shape: TableShape,
  table: string,
  d: DeletedKeys,
): { problem: string } | { problem?: undefined; refused: Map<number, string> } {
  if (d.keys.length !== shape.keyColumns.length)
    return {
      problem: `table "${table}" has ${shape.keyColumns.length} key column(s) (${shape.keyColumns.join(', ')}); the request gives ${d.keys.length} key array(s)`,
    };
  const { problem, refused } = checkRows(keyDefs(shape), shape.keyColumns, {
    columns: shape.keyColumns,
    values: d.keys,
    versions: d.versions,
  });
  return problem ? { problem: `table "${table}": ${problem}` } : { refused };
}

/** The key columns of a registered table, in key order. */
export function keyDefs(shape: TableShape): ColumnDef[] {
  return shape.keyColumns.map((k) => shape.columns.find((c) => c.name === k)!);
}
