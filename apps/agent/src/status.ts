import type { VersionInfo } from '#contracts';
import { decidePass } from '#sync';

/** What the agent remembers of a table's difference check (a cache: lost with the state file, rebuilt in a round). */
export interface CheckRounds {
  /** Rows repaired so far in the round under way. */
  found: number;
  /** Rows the last completed round repaired; null before a round has completed. */
  lastRound: number | null;
}

/**
 * One table's state in words for `rowferry-agent status`. It says "equal" only when it is proven: versions in step,
 * nothing pending, quarantined or waiting for a backfill, and a whole round of the difference check found nothing.
 */
export function tableStatus(f: {
  localMax: bigint;
  remote: VersionInfo | undefined;
  refusal?: string;
  rounds?: CheckRounds;
}): string {
  const r = f.remote;
  const refusal = f.refusal ?? r?.schemaError;
  if (refusal) return `definition refused: ${refusal}`;
  if (!r) return 'not registered';
  if (r.pendingJobs > 0) return 'syncing';
  const decision = decidePass({
    localMax: f.localMax,
    remote: { maxVersion: BigInt(r.maxVersion), appliedThrough: BigInt(r.appliedThrough), pendingJobs: 0 },
  });
  if (decision.kind === 'ahead')
    return `differs: local rows above version ${decision.uploadAfter} are still to be sent`;
  if (decision.kind !== 'equal') return `differs: remote rows above version ${f.localMax} are still to be deleted`;
  if (r.quarantined > 0) return `differs: ${r.quarantined} row(s) refused by the cloud wait in the quarantine`;
  if (r.backfillFrom !== null)
    return `differs: existing rows are being sent again for added columns (from version ${r.backfillFrom})`;
  const rounds = f.rounds ?? { found: 0, lastRound: null };
  if (rounds.lastRound === null) return 'versions equal; the first round of the difference check is under way';
  if (rounds.lastRound > 0 || rounds.found > 0)
    return `versions equal; the difference check repaired ${rounds.lastRound + rounds.found} row(s) lately and checks again`;
  return 'equal';
}
