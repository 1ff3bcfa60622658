/**
 * The decision at the start of one pass for one table (docs/sync-model.md, One pass). Pure: the agent gathers the
 * facts, this function says what to do, and the agent carries it out.
 */
export interface PassFacts {
  /** Highest version among the local rows (0 for an empty table). */
  localMax: bigint;
  remote: {
    maxVersion: bigint;
    /** Every "ahead" upload up to this version has been applied remotely. */
    appliedThrough: bigint;
    pendingJobs: number;
  };
  /** Set when the local database was restored: the counter of the newest marker that survived. */
  restoredTo?: bigint;
}

export type PassDecision =
  | { kind: 'wait'; reason: string }
  | { kind: 'restore'; deleteAbove: bigint }
  | { kind: 'behind'; deleteAbove: bigint }
  | { kind: 'ahead'; uploadAfter: bigint }
  | { kind: 'equal' };

export function decidePass(f: PassFacts): PassDecision {
  // Comparing or sending while earlier jobs are in flight would act on a half-applied remote.
  if (f.remote.pendingJobs > 0)
    return { kind: 'wait', reason: `${f.remote.pendingJobs} job(s) for this table are still pending` };
  // After a restore, versions above the surviving marker may name other content remotely: remove them first.
  if (f.restoredTo !== undefined) return { kind: 'restore', deleteAbove: f.restoredTo };
  if (f.localMax < f.remote.maxVersion) return { kind: 'behind', deleteAbove: f.localMax };
  if (f.localMax > f.remote.appliedThrough) return { kind: 'ahead', uploadAfter: f.remote.appliedThrough };
  return { kind: 'equal' };
}
