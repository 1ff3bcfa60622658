import type { VersionRange } from '#contracts';

/**
 * The difference check walks a table in contiguous version slices: (after, upTo], each slice starting where the
 * previous one ended, wrapping to 0 after the last. Contiguity matters: a remote row whose version lies between
 * two local rows' versions (a row deleted locally) still falls inside some slice.
 */
export interface Slice extends VersionRange {
  /** Where the next pass starts: upTo, or 0 when this slice reached the end of the table. */
  nextPosition: bigint;
}

/**
 * @param position where the last slice ended (0 at the start or after wrapping)
 * @param nth the version of the `sliceRows`-th local row above `position`; undefined when there are fewer
 * @param localMax the table's highest local version
 */
export function nextSlice(position: bigint, nth: bigint | undefined, localMax: bigint, sliceRows: number): Slice {
  if (sliceRows < 1) throw new Error('sliceRows must be at least 1');
  // A position past the end (rows deleted since, or a restore) starts over.
  const after = position > localMax ? 0n : position;
  if (nth === undefined || position > localMax) return { after, upTo: localMax, nextPosition: 0n };
  const upTo = nth;
  return { after, upTo, nextPosition: upTo >= localMax ? 0n : upTo };
}
