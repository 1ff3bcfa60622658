import { compareVersions, sliceKeys, sliceRows, type ColumnarRows, type DeletedKeys } from '#contracts';

export interface AheadBatch {
  rows: ColumnarRows;
  deletes: DeletedKeys;
  /** The version of the batch's last change: the range it covers ends here. */
  upTo: bigint;
}

/**
 * The next batch of the "ahead" path (docs/sync-model.md, Deletes): the first `limit` changes in version order, rows
 * and deleted keys together. Both are read separately, each in version order and at most `limit` long, so the first
 * `limit` of the two merged are the first `limit` changes; what was read above the last one waits for the next batch.
 * Undefined when there is nothing to send.
 */
export function aheadBatch(rows: ColumnarRows, deletes: DeletedKeys, limit: number): AheadBatch | undefined {
  let r = 0;
  let d = 0;
  let upTo: string | undefined;
  while (r + d < limit) {
    const row = r < rows.versions.length ? rows.versions[r] : undefined;
    const del = d < deletes.versions.length ? deletes.versions[d] : undefined;
    if (row === undefined && del === undefined) break;
    if (del === undefined || (row !== undefined && compareVersions(row, del) < 0)) {
      upTo = row;
      r++;
    } else {
      upTo = del;
      d++;
    }
  }
  if (upTo === undefined) return undefined;
  return {
    rows: r === rows.versions.length ? rows : sliceRows(rows, 0, r),
    deletes: d === deletes.versions.length ? deletes : sliceKeys(deletes, 0, d),
    upTo: BigInt(upTo),
  };
}
