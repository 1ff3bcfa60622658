/**
 * Restore detection (design §3.3). Each pass the agent writes a marker into the local database holding the
 * current version counter and remembers it. A restore from backup brings back an older marker (or none): every
 * version at or below that marker's counter was handed out before the restore point, everything above is suspect.
 */
export interface Marker {
  id: string;
  counter: bigint;
}

/**
 * @param written the markers this agent wrote, oldest first
 * @param newestInDb the newest marker found in the local database, if any
 * @returns the counter to delete above, or undefined when there was no restore
 */
export function detectRestore(written: readonly Marker[], newestInDb: Marker | undefined): bigint | undefined {
  if (written.length === 0) return undefined; // nothing to compare with: a first run
  const newestWritten = written[written.length - 1];
  if (newestInDb === undefined) return 0n; // restored to before the first marker: nothing is known good
  if (newestInDb.id === newestWritten.id) return undefined;
  const known = written.find((m) => m.id === newestInDb.id);
  // A marker this agent never wrote means its state was lost or belongs to another database: trust nothing.
  return known ? known.counter : 0n;
}

/** After a restore to `marker` has been handled, the markers written after it belong to a timeline that is gone. */
export function keepMarkersThrough(written: readonly Marker[], markerId: string | undefined): Marker[] {
  if (markerId === undefined) return [];
  const i = written.findIndex((m) => m.id === markerId);
  return i < 0 ? [] : written.slice(0, i + 1);
}
