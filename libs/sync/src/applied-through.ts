import type { VersionRange } from '#contracts';

/**
 * The remote "applied through" watermark: every "ahead" upload up to it has been applied. Uploads may complete
 * in any order, so ranges above the watermark wait in `pending` until the gap below them closes. The agent
 * resumes from the watermark, never from the highest version present remotely (docs/sync-model.md, Applied-through).
 */
export interface AppliedThrough {
  through: bigint;
  /** Applied ranges (after, upTo] not yet contiguous with `through`, sorted by `after`. */
  pending: VersionRange[];
}

export function recordAppliedRange(state: AppliedThrough, range: VersionRange): AppliedThrough {
  const sorted = [...state.pending, range].sort((a, b) => (a.after < b.after ? -1 : a.after > b.after ? 1 : 0));
  // In ascending order one sweep suffices: once a range starts above the watermark, every later one does too.
  let through = state.through;
  const pending: AppliedThrough['pending'] = [];
  for (const r of sorted) {
    if (r.after <= through) {
      if (r.upTo > through) through = r.upTo;
    } else pending.push(r);
  }
  return { through, pending };
}

/** Everything above `version` was deleted remotely: the watermark and pending ranges can hold nothing above it. */
export function rewindAppliedThrough(state: AppliedThrough, version: bigint): AppliedThrough {
  return {
    through: state.through < version ? state.through : version,
    pending: state.pending
      .filter((r) => r.after < version)
      .map((r) => ({ after: r.after, upTo: r.upTo < version ? r.upTo : version })),
  };
}
