/**
 * Restore detection (docs/sync-model.md, Restores). Each pass the agent writes a marker (id, safe watermark) into the
 * local database, after the server has recorded it: the server keeps each database's marker history and is the memory;
 * the agent's state file is only a cache that a restore can roll back or lose. A restore from backup brings back an
 * older marker: every version at or below its watermark was committed before the backup, so it means the same content
 * on both sides; everything above it is suspect.
 */
export interface Marker {
  id: string;
  /** The safe watermark when the marker was written: every version at or below it was committed by then. */
  watermark: bigint;
}

/** The server's record of a marker. */
export interface RecordedMarker extends Marker {
  /** Whether it is the newest marker of the database's live timeline. */
  newest: boolean;
}

export type RestoreFinding =
  /** The database carries the server's newest marker (or nothing has been recorded yet): no restore. */
  | { kind: 'none' }
  /** Restored to a marker the server knows: delete the remote rows above its watermark, then carry on. */
  | { kind: 'to-marker'; marker: Marker }
  /**
   * The database holds no marker the server knows (restored to before the first marker, or the server's marker
   * was never written locally): nothing proves which versions are safe. Never a reason to wipe the table: verify
   * the whole table instead, repairing what differs.
   */
  | { kind: 'no-usable-marker' };

/**
 * @param local the newest marker in the local database, if any
 * @param recorded the server's record of that marker, if it has one
 * @param serverHasMarkers whether the server has recorded any marker for this database
 */
export function judgeRestore(
  local: Marker | undefined,
  recorded: RecordedMarker | undefined,
  serverHasMarkers: boolean,
): RestoreFinding {
  if (!serverHasMarkers) return { kind: 'none' }; // a first run: nothing to compare with
  if (!local || !recorded) return { kind: 'no-usable-marker' };
  if (recorded.newest) return { kind: 'none' };
  // The server's watermark, not the local copy: a marker of a timeline that was itself rolled back is capped there.
  return { kind: 'to-marker', marker: { id: recorded.id, watermark: recorded.watermark } };
}

/**
 * Whether a new marker is worth writing: not when the database already carries the newest marker at the same
 * watermark (an idle database would otherwise grow a marker every pass).
 */
export function needsNewMarker(local: Marker | undefined, finding: RestoreFinding, watermark: bigint): boolean {
  return finding.kind !== 'none' || local === undefined || local.watermark !== watermark;
}
