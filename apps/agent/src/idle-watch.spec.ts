import type { VersionInfo } from '#contracts';
import { IdleWatch, idleReport, remoteDigest } from './idle-watch.js';
import type { Pulse, Source } from './sources/source.js';
import { passReport, type PassReport } from './table-pass.js';

const info = (table: string, appliedThrough = '10'): VersionInfo => ({
  table,
  maxVersion: appliedThrough,
  appliedThrough,
  rowCount: '5',
  lastModifiedAt: null,
  pendingJobs: 0,
  schemaError: null,
  timeline: '0',
  backfillFrom: null,
  quarantined: 0,
});

const pass = (changes: Partial<PassReport> = {}): PassReport => ({
  ...passReport('t', '0', 0n, ['equal']),
  ...changes,
});

/** A source whose pulse is whatever the test says it is now. */
function pulsing(): { source: Source; now: { pulse: Pulse | undefined }; reads: () => number } {
  const now: { pulse: Pulse | undefined } = { pulse: { counter: 10n, digest: 'a' } };
  let reads = 0;
  const source = {
    pulse: async () => {
      reads++;
      return now.pulse;
    },
  } as unknown as Source;
  return { source, now, reads: () => reads };
}

describe('IdleWatch', () => {
  const infos = [info('t')];
  const asked = async () => infos;

  it('after an idle pass, says nothing changed while the pulse and the version info stay', async () => {
    const { source, now, reads } = pulsing();
    const watch = new IdleWatch(source);
    expect(await watch.unchanged([], asked)).toBeUndefined(); // nothing known yet
    await watch.ended([], now.pulse, 10n, infos, true);
    expect(await watch.unchanged([], asked)).toBe(infos);
    expect(await watch.unchanged([], asked)).toBe(infos);
    expect(reads()).toBe(3);
  });

  it.each([
    ['the pass was not idle', { idle: false }],
    ['the pulse could not be read', { start: undefined }],
    ['the safe watermark is below the counter (a writer still holds a version)', { watermark: 9n }],
    ['no safe watermark was read', { watermark: undefined }],
    ['the database changed while the pass ran', { moved: true }],
  ])(
    'does not hold when %s',
    async (_, c: { idle?: boolean; start?: undefined; watermark?: bigint; moved?: boolean }) => {
      const { source, now } = pulsing();
      const watch = new IdleWatch(source);
      const start = 'start' in c ? c.start : now.pulse;
      if (c.moved) now.pulse = { counter: 11n, digest: 'b' };
      await watch.ended([], start, 'watermark' in c ? c.watermark : 11n, infos, c.idle ?? true);
      expect(await watch.unchanged([], asked)).toBeUndefined();
    },
  );

  it('ends, and stays ended, at a change on either side', async () => {
    const { source, now } = pulsing();
    const watch = new IdleWatch(source);
    await watch.ended([], now.pulse, 10n, infos, true);
    now.pulse = { counter: 10n, digest: 'schema changed' };
    expect(await watch.unchanged([], asked)).toBeUndefined();
    now.pulse = { counter: 10n, digest: 'a' };
    expect(await watch.unchanged([], asked)).toBeUndefined(); // back as it was: still ended until an idle pass

    await watch.ended([], now.pulse, 10n, infos, true);
    expect(await watch.unchanged([], async () => [info('t', '9')])).toBeUndefined();
    expect(await watch.unchanged([], asked)).toBeUndefined();

    await watch.ended([], now.pulse, 10n, infos, true);
    now.pulse = undefined; // tracking removed, say
    expect(await watch.unchanged([], asked)).toBeUndefined();
  });

  it('does not ask the server when the database changed', async () => {
    const { source, now } = pulsing();
    const watch = new IdleWatch(source);
    await watch.ended([], now.pulse, 10n, infos, true);
    now.pulse = { counter: 11n, digest: 'b' };
    let requests = 0;
    await watch.unchanged([], async () => {
      requests++;
      return infos;
    });
    expect(requests).toBe(0);
  });
});

describe('remoteDigest and idleReport', () => {
  it('compares version info whatever the order of the tables, and any field of it', () => {
    expect(remoteDigest([info('a'), info('b')])).toBe(remoteDigest([info('b'), info('a')]));
    expect(remoteDigest([info('a')])).not.toBe(remoteDigest([{ ...info('a'), pendingJobs: 1 }]));
    expect(remoteDigest([info('a')])).not.toBe(remoteDigest([{ ...info('a'), quarantined: 1 }]));
  });

  it.each([
    [{ steps: ['ahead', 'equal'] as PassReport['steps'] }],
    [{ steps: [] as PassReport['steps'] }],
    [{ uploaded: 1 }],
    [{ deleted: 1 }],
    [{ repaired: 1 }],
    [{ stamped: 1 }],
    [{ found: 1 }],
    [{ notes: ['tracked a new child'] }],
  ])('a pass that did something is not idle: %j', (changes) => {
    expect(idleReport(pass(changes))).toBe(false);
  });

  it('an equal pass that only checked a slice is idle; a failed one is not', () => {
    expect(idleReport(pass())).toBe(true);
    expect(idleReport(pass({ checked: 500, sliced: true }))).toBe(true);
    expect(idleReport({ table: 't', error: 'boom' })).toBe(false);
  });
});
