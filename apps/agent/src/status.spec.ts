import type { VersionInfo } from '#contracts';
import { ago } from '#observability';
import { renderStatus, tableStatus, verifyVerdict, type StatusRow } from './status.js';

const info = (over: Partial<VersionInfo> = {}): VersionInfo => ({
  table: 't',
  maxVersion: '100',
  appliedThrough: '100',
  rowCount: '10',
  lastModifiedAt: null,
  pendingJobs: 0,
  schemaError: null,
  timeline: '0',
  backfillFrom: null,
  quarantined: 0,
  ...over,
});
const clean = { found: 0, lastRound: 0 };

describe('tableStatus', () => {
  it.each([
    ['equal, proven by a clean round', 100n, info(), clean, 'equal', undefined],
    [
      'a refused definition',
      100n,
      info({ schemaError: 'key changed' }),
      clean,
      'refused',
      /^definition refused: key changed$/,
    ],
    ['not registered', 100n, undefined, clean, 'unregistered', /^not registered/],
    ['jobs pending', 100n, info({ pendingJobs: 2 }), clean, 'syncing', /^2 job\(s\) on their way$/],
    ['local ahead', 120n, info(), clean, 'sending', /^local rows above version 100/],
    ['local behind', 90n, info(), clean, 'deleting', /^remote rows above version 90/],
    [
      'rows quarantined',
      100n,
      info({ quarantined: 3 }),
      clean,
      'quarantine',
      /^3 row\(s\) refused by the cloud wait in the quarantine$/,
    ],
    [
      'a backfill pending',
      100n,
      info({ backfillFrom: '40' }),
      clean,
      'backfill',
      /^existing rows are being sent again for added columns \(from version 40\)$/,
    ],
    [
      'no round completed yet',
      100n,
      info(),
      { found: 0, lastRound: null },
      'checking',
      /a round of the difference check is under way \(a new or suspect copy\)/,
    ],
    [
      'the last round repaired rows',
      100n,
      info(),
      { found: 0, lastRound: 5 },
      'repaired',
      /repaired 5 row\(s\) lately/,
    ],
    [
      'the round under way repaired rows',
      100n,
      info(),
      { found: 2, lastRound: 0 },
      'repaired',
      /repaired 2 row\(s\) lately/,
    ],
    // After a restore the watermark is rewound above a table's own newest row: still equal, not "differs" for ever.
    [
      'applied-through above the local maximum after a restore',
      90n,
      info({ maxVersion: '90', appliedThrough: '120' }),
      clean,
      'equal',
      undefined,
    ],
  ] as const)('%s', (_name, localMax, remote, rounds, state, reason) => {
    const s = tableStatus({ localMax, remote, rounds, counts: { rows: 10, unversioned: 0 } });
    expect(s.state).toBe(state);
    if (reason) expect(s.reason).toMatch(reason);
    else expect(s.reason).toBeUndefined();
  });

  it('a refusal the agent keeps wins over anything the API says', () => {
    expect(
      tableStatus({ localMax: 1n, remote: undefined, refusal: 'type changed', counts: { rows: 1, unversioned: 0 } }),
    ).toEqual({
      state: 'refused',
      reason: 'definition refused: type changed',
    });
  });
});

describe('tableStatus: the counts are evidence', () => {
  // Versions in step, nothing pending, a clean round: only the counts can still say otherwise.
  it.each([
    ['counts agree', 10, 0, '10', 'equal', undefined],
    [
      'one local row more (a row no trigger saw, or a delete never found)',
      16046,
      0,
      '16045',
      'differs',
      /16,046 rows here and 16,045 in the cloud/,
    ],
    ['one remote row more', 9, 0, '10', 'differs', /9 rows here and 10 in the cloud/],
    [
      'rows without a version, counts agreeing by chance',
      10,
      1,
      '10',
      'unversioned',
      /^1 local row\(s\) have no version/,
    ],
    [
      'rows without a version and counts differing',
      11,
      1,
      '10',
      'unversioned',
      /they travel once a pass has given them one/,
    ],
    ['empty on both sides', 0, 0, '0', 'equal', undefined],
  ] as const)('%s', (_name, rows, unversioned, remoteRows, state, reason) => {
    const s = tableStatus({
      localMax: 100n,
      remote: info({ rowCount: remoteRows }),
      rounds: clean,
      counts: { rows, unversioned },
    });
    expect(s.state).toBe(state);
    if (reason) expect(s.reason).toMatch(reason);
    else expect(s.reason).toBeUndefined();
  });

  it('counts differing never hide a state that already says why (jobs on their way, rows to send, quarantine)', () => {
    const counts = { rows: 12, unversioned: 0 };
    expect(tableStatus({ localMax: 100n, remote: info({ pendingJobs: 1 }), rounds: clean, counts }).state).toBe(
      'syncing',
    );
    expect(tableStatus({ localMax: 120n, remote: info(), rounds: clean, counts }).state).toBe('sending');
    expect(tableStatus({ localMax: 100n, remote: info({ quarantined: 2 }), rounds: clean, counts }).state).toBe(
      'quarantine',
    );
  });
});

describe('verifyVerdict', () => {
  it.each([
    ['nothing found, counts agree', 0, 10, 0, '10', 0, true, /^equal$/],
    [
      'rows repaired, counts agree after',
      3,
      10,
      0,
      '10',
      0,
      true,
      /^3 row\(s\) differed and were repaired; now equal$/,
    ],
    [
      'nothing found, a local row the check could not see',
      0,
      16046,
      0,
      '16045',
      0,
      false,
      /^not equal: versions equal, but 16,046 rows here and 16,045/,
    ],
    ['rows without a version', 0, 10, 2, '10', 0, false, /^not equal: 2 local row\(s\) have no version/],
    [
      'rows in the quarantine',
      0,
      10,
      0,
      '9',
      1,
      false,
      /^not equal: 1 row\(s\) refused by the cloud wait in the quarantine$/,
    ],
  ] as const)('%s', (_name, found, rows, unversioned, rowCount, quarantined, equal, verdict) => {
    const v = verifyVerdict({ found, counts: { rows, unversioned }, remote: { rowCount, quarantined } });
    expect(v.equal).toBe(equal);
    expect(v.verdict).toMatch(verdict);
  });
});

describe('renderStatus', () => {
  const now = new Date('2026-11-26T12:00:00Z');
  const row = (over: Partial<StatusRow> = {}): StatusRow => ({
    table: 'people',
    state: 'equal',
    localVersion: '1234567',
    remoteVersion: '1234567',
    behindVersions: '0',
    laggingSince: null,
    localRows: 1000000,
    unversionedRows: 0,
    remoteRows: '1000000',
    quarantined: 0,
    lastPass: { at: '2026-11-26T11:59:48Z', lastEqualAt: '2026-11-26T11:59:48Z' },
    lastCheckRepaired: 0,
    lastFullCheckAt: '2026-11-26T09:00:00Z',
    nextFullCheckBy: '2026-11-26T15:00:00Z',
    ...over,
  });

  it('is one line a table, numbers grouped, and says when the last pass was and what the check found', () => {
    const lines = renderStatus([row()], now).split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^TABLE\s+STATE\s+BEHIND\s+LAG\s+ROWS LOCAL\/REMOTE\s+QUAR\s+LAST PASS\s+CHECK\s+CHECKED\s+NEXT$/,
    );
    expect(lines[1]).toMatch(/^people\s+equal\s+-\s+-\s+1,000,000\/1,000,000\s+0\s+12s\s+clean\s+3h\s+in 3h$/);
  });

  it('fits 100 columns whatever the names and reasons, the reasons below the table, wrapped', () => {
    const long =
      'definition refused: ' + 'the column "a_very_long_column_name" changed type from text to bigint; '.repeat(6);
    const out = renderStatus(
      [
        row({
          table: 'a_table_with_a_name_far_longer_than_any_column_should_ever_need_to_be',
          state: 'refused',
          reason: long,
        }),
        row({
          table: 'orders',
          state: 'sending',
          reason: 'local rows above version 97800 are still to be sent',
          behindVersions: '1200',
          laggingSince: '2026-11-26T11:57:00Z',
          lastPass: { at: '2026-11-26T11:59:58Z', error: 'the API could not be reached' },
          lastCheckRepaired: 3,
          lastFullCheckAt: null,
          nextFullCheckBy: '2026-11-26T11:00:00Z',
        }),
      ],
      now,
    );
    const lines = out.split('\n');
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(100);
    expect(lines[1]).toMatch(/^a_table_with_\S*…\s+refused\s/);
    expect(lines[2]).toMatch(/^orders\s+sending!\s+1,200\s+3m\s.*\s2s\s+fixed 3\s+never\s+now$/);
    expect(lines[3]).toBe('');
    expect(out).toContain('orders: local rows above version 97800 are still to be sent');
    expect(out).toContain('orders: last pass failed: the API could not be reached');
    expect(lines.filter((l) => l.startsWith('    ')).length).toBeGreaterThan(2); // the long reason, wrapped
  });

  it.each([
    ['2026-11-26T11:59:30Z', '30s'],
    ['2026-11-26T11:50:00Z', '10m'],
    ['2026-11-26T07:00:00Z', '5h'],
    ['2026-11-20T12:00:00Z', '6d'],
    ['2026-11-26T12:00:05Z', '0s'], // a clock slightly ahead never says a negative time
  ])('ago(%s) is %s', (iso, expected) => {
    expect(ago(now, iso)).toBe(expected);
  });
});
