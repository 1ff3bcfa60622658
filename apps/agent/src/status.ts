import type { VersionInfo } from '#contracts';
import { ago, groupDigits, until } from '#observability/human-format';
import { decidePass } from '#sync';

/** What the agent remembers of a table's difference check (a cache: lost with the state file, rebuilt in a round). */
export interface CheckRounds {
  /** Rows repaired so far in the round under way. */
  found: number;
  /** Rows the last completed round repaired; null before a round has completed. */
  lastRound: number | null;
}

/** The table's last pass, kept for `status`. */
export interface LastPass {
  /** When it ended (ISO time). */
  at: string;
  /** Why it failed; absent when it did not. */
  error?: string;
  /** When a pass last ended with the table equal (ISO time), carried from pass to pass: how long it has lagged. */
  lastEqualAt?: string;
}

/** A table's state in one word, with the reason in words where there is one. */
export interface TableState {
  state:
    | 'equal'
    | 'syncing'
    | 'sending'
    | 'deleting'
    | 'quarantine'
    | 'backfill'
    | 'checking'
    | 'repaired'
    | 'unversioned'
    | 'differs'
    | 'refused'
    | 'unregistered';
  reason?: string;
}

/**
 * One table's state for `rowferry-agent status`. It says "equal" only when it is proven: versions in step, nothing
 * pending, quarantined or waiting for a backfill, and a whole round of the difference check found nothing.
 */
export function tableStatus(f: {
  localMax: bigint;
  remote: VersionInfo | undefined;
  refusal?: string;
  rounds?: CheckRounds;
  /** Local rows, and of them those without a version: counted now, the evidence versions alone cannot give. */
  counts: { rows: number; unversioned: number };
}): TableState {
  const r = f.remote;
  const refusal = f.refusal ?? r?.schemaError;
  if (refusal) return { state: 'refused', reason: `definition refused: ${refusal}` };
  if (!r) return { state: 'unregistered', reason: 'not registered with the API yet' };
  if (r.pendingJobs > 0) return { state: 'syncing', reason: `${r.pendingJobs} job(s) on their way` };
  const decision = decidePass({
    localMax: f.localMax,
    remote: { maxVersion: BigInt(r.maxVersion), appliedThrough: BigInt(r.appliedThrough), pendingJobs: 0 },
  });
  if (decision.kind === 'ahead')
    return { state: 'sending', reason: `local rows above version ${decision.uploadAfter} are still to be sent` };
  if (decision.kind !== 'equal')
    return { state: 'deleting', reason: `remote rows above version ${f.localMax} are still to be deleted` };
  if (r.quarantined > 0)
    return { state: 'quarantine', reason: `${r.quarantined} row(s) refused by the cloud wait in the quarantine` };
  if (r.backfillFrom !== null)
    return {
      state: 'backfill',
      reason: `existing rows are being sent again for added columns (from version ${r.backfillFrom})`,
    };
  const counted = countsDiffer({ ...f.counts, remoteRows: r.rowCount });
  if (counted) return counted;
  const rounds = f.rounds ?? { found: 0, lastRound: null };
  if (rounds.lastRound === null)
    return {
      state: 'checking',
      reason: 'versions equal; a round of the difference check is under way (a new or suspect copy)',
    };
  if (rounds.lastRound > 0 || rounds.found > 0)
    return {
      state: 'repaired',
      reason: `versions equal; the difference check repaired ${rounds.lastRound + rounds.found} row(s) lately and checks again`,
    };
  return { state: 'equal' };
}

/**
 * What the row counts say against a copy that versions call equal: rows without a version (written where no trigger
 * fired) are invisible to every version-based step, and a count that differs means a row is missing or extra on one
 * side, whatever the versions and digests say. Undefined when the counts agree.
 */
export function countsDiffer(c: { rows: number; unversioned: number; remoteRows: string }): TableState | undefined {
  if (c.unversioned > 0)
    return {
      state: 'unversioned',
      reason: `${c.unversioned} local row(s) have no version (written where no trigger fired): they travel once a pass has given them one`,
    };
  if (String(c.rows) !== c.remoteRows)
    return {
      state: 'differs',
      reason: `versions equal, but ${groupDigits(String(c.rows))} rows here and ${groupDigits(c.remoteRows)} in the cloud: the difference check looks for the rows that differ`,
    };
  return undefined;
}

/** Whether a round of `verify` proves the copy equal, and what it says. */
export interface Verdict {
  equal: boolean;
  verdict: string;
}

/**
 * The end of a `verify` round: what it repaired, and whether the counts (taken after the repairs were applied) agree.
 * Rows the check cannot see (without a version) or rows the cloud refused leave the copy unequal, whatever the
 * digests said.
 */
export function verifyVerdict(f: {
  found: number;
  counts: { rows: number; unversioned: number };
  remote: Pick<VersionInfo, 'rowCount' | 'quarantined'>;
}): Verdict {
  if (f.remote.quarantined > 0)
    return {
      equal: false,
      verdict: `not equal: ${f.remote.quarantined} row(s) refused by the cloud wait in the quarantine`,
    };
  const counted = countsDiffer({ ...f.counts, remoteRows: f.remote.rowCount });
  if (counted) return { equal: false, verdict: `not equal: ${counted.reason}` };
  return { equal: true, verdict: f.found === 0 ? 'equal' : `${f.found} row(s) differed and were repaired; now equal` };
}

/** One table's line of `status`, as `--json` prints it. */
export interface StatusRow extends TableState {
  table: string;
  localVersion: string;
  remoteVersion: string | null;
  /** Versions the remote is behind the local database (0 when in step). */
  behindVersions: string;
  /** Since when the table has lagged (the last pass that found it equal); null when in step. */
  laggingSince: string | null;
  localRows: number;
  /** Local rows without a version (written where no trigger fired): 0 once stamped. */
  unversionedRows: number;
  remoteRows: string | null;
  quarantined: number;
  lastPass: LastPass | null;
  /** Rows the last completed round of the difference check repaired; null before one completed. */
  lastCheckRepaired: number | null;
  /** When the last round of the difference check read every row (ISO time); null before one has. */
  lastFullCheckAt: string | null;
  /** When the round under way is due to have read every row (ISO time); now for a suspect copy (it runs at once). */
  nextFullCheckBy: string | null;
}

/** The rows as a table that fits `width` columns, the reasons below it (a long reason never widens the table). */
export function renderStatus(rows: StatusRow[], now: Date, width = 100): string {
  const headers = [
    'TABLE',
    'STATE',
    'BEHIND',
    'LAG',
    'ROWS LOCAL/REMOTE',
    'QUAR',
    'LAST PASS',
    'CHECK',
    'CHECKED',
    'NEXT',
  ];
  const cells = rows.map((r) => [
    r.table,
    r.lastPass?.error ? `${r.state}!` : r.state,
    r.behindVersions === '0' ? '-' : groupDigits(r.behindVersions),
    r.laggingSince ? ago(now, r.laggingSince) : '-',
    `${groupDigits(String(r.localRows))}/${r.remoteRows === null ? '-' : groupDigits(r.remoteRows)}`,
    String(r.quarantined),
    r.lastPass ? ago(now, r.lastPass.at) : 'never',
    r.lastCheckRepaired === null ? 'running' : r.lastCheckRepaired === 0 ? 'clean' : `fixed ${r.lastCheckRepaired}`,
    r.lastFullCheckAt ? ago(now, r.lastFullCheckAt) : 'never',
    r.nextFullCheckBy ? until(now, r.nextFullCheckBy) : '-',
  ]);
  const widths = headers.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c].length)));
  // Only the table name gives way: every other column is short by construction.
  const others = widths.slice(1).reduce((a, b) => a + b + 2, 0);
  widths[0] = Math.max(8, Math.min(widths[0], width - others));
  const line = (row: string[]) =>
    row
      .map((v, c) => (v.length > widths[c] ? `${v.slice(0, widths[c] - 1)}…` : v))
      .map((v, c) => (c === 0 || c === 1 ? v.padEnd(widths[c]) : v.padStart(widths[c])))
      .join('  ')
      .trimEnd();
  const notes = rows.flatMap((r) =>
    [r.reason, r.lastPass?.error && `last pass failed: ${r.lastPass.error}`]
      .filter((n): n is string => !!n)
      .flatMap((n) => wrap(`${r.table}: ${n}`, width, '    ')),
  );
  return [line(headers), ...cells.map(line), ...(notes.length ? ['', ...notes] : [])].join('\n');
}

function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const next = line ? `${line} ${word}` : word;
    if (next.length > width && line) {
      lines.push(line);
      line = `${indent}${word}`;
    } else line = next;
  }
  lines.push(line);
  return lines.flatMap((l) => (l.length > width ? chunk(l, width) : [l]));
}

function chunk(s: string, width: number): string[] {
  return Array.from({ length: Math.ceil(s.length / width) }, (_, i) => s.slice(i * width, (i + 1) * width));
}
