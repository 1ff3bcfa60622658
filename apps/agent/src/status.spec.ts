import type { VersionInfo } from '#contracts';
import { tableStatus } from './status.js';

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
    ['equal, proven by a clean round', 100n, info(), clean, /^equal$/],
    ['a refused definition', 100n, info({ schemaError: 'key changed' }), clean, /^definition refused: key changed$/],
    ['not registered', 100n, undefined, clean, /^not registered$/],
    ['jobs pending', 100n, info({ pendingJobs: 2 }), clean, /^syncing$/],
    ['local ahead', 120n, info(), clean, /^differs: local rows above version 100/],
    ['local behind', 90n, info(), clean, /^differs: remote rows above version 90/],
    [
      'rows quarantined',
      100n,
      info({ quarantined: 3 }),
      clean,
      /^differs: 3 row\(s\) refused by the cloud wait in the quarantine$/,
    ],
    [
      'a backfill pending',
      100n,
      info({ backfillFrom: '40' }),
      clean,
      /^differs: existing rows are being sent again for added columns \(from version 40\)$/,
    ],
    [
      'no round completed yet',
      100n,
      info(),
      { found: 0, lastRound: null },
      /first round of the difference check is under way/,
    ],
    ['the last round repaired rows', 100n, info(), { found: 0, lastRound: 5 }, /repaired 5 row\(s\) lately/],
    ['the round under way repaired rows', 100n, info(), { found: 2, lastRound: 0 }, /repaired 2 row\(s\) lately/],
    // After a restore the watermark is rewound above a table's own newest row: still equal, not "differs" for ever.
    [
      'applied-through above the local maximum after a restore',
      90n,
      info({ maxVersion: '90', appliedThrough: '120' }),
      clean,
      /^equal$/,
    ],
  ] as const)('%s', (_name, localMax, remote, rounds, expected) => {
    expect(tableStatus({ localMax, remote, rounds })).toMatch(expected);
  });

  it('a refusal the agent keeps wins over anything the API says', () => {
    expect(tableStatus({ localMax: 1n, remote: undefined, refusal: 'type changed' })).toBe(
      'definition refused: type changed',
    );
  });
});
