import { judgeRestore, needsNewMarker, type Marker, type RecordedMarker } from './restore.js';

const m = (id: string, watermark: number): Marker => ({ id, watermark: BigInt(watermark) });
const rec = (id: string, watermark: number, newest: boolean): RecordedMarker => ({
  id,
  watermark: BigInt(watermark),
  newest,
});

describe('judgeRestore', () => {
  it.each([
    ['first run: nothing recorded, nothing local', undefined, undefined, false, { kind: 'none' }],
    [
      'first run: a local marker the server never heard of (its history starts now)',
      m('a', 5),
      undefined,
      false,
      { kind: 'none' },
    ],
    ['the database carries the newest marker', m('c', 30), rec('c', 30, true), true, { kind: 'none' }],
    [
      'restored to an older marker: its watermark',
      m('b', 20),
      rec('b', 20, false),
      true,
      { kind: 'to-marker', marker: m('b', 20) },
    ],
    [
      'the server caps a marker of a rolled-back timeline',
      m('x', 40),
      rec('x', 25, false),
      true,
      { kind: 'to-marker', marker: m('x', 25) },
    ],
    [
      'a marker the server does not know (lost state, another database)',
      m('zzz', 25),
      undefined,
      true,
      { kind: 'no-usable-marker' },
    ],
    [
      'no marker at all in a database the server has markers for',
      undefined,
      undefined,
      true,
      { kind: 'no-usable-marker' },
    ],
  ] as const)('%s', (_name, local, recorded, serverHas, expected) => {
    expect(judgeRestore(local, recorded, serverHas)).toEqual(expected);
  });

  it('never answers a watermark of 0 for a marker it does not know: no range delete may wipe a table', () => {
    for (const local of [undefined, m('q', 0), m('q', 99)]) {
      const f = judgeRestore(local, undefined, true);
      expect(f.kind).toBe('no-usable-marker');
    }
  });
});

describe('needsNewMarker', () => {
  it('skips an idle database that already carries the newest marker at this watermark', () => {
    expect(needsNewMarker(m('a', 10), { kind: 'none' }, 10n)).toBe(false);
  });
  it('writes one when the watermark moved, on a first run, and after any restore', () => {
    expect(needsNewMarker(m('a', 10), { kind: 'none' }, 11n)).toBe(true);
    expect(needsNewMarker(undefined, { kind: 'none' }, 0n)).toBe(true);
    expect(needsNewMarker(m('a', 10), { kind: 'to-marker', marker: m('a', 10) }, 10n)).toBe(true);
    expect(needsNewMarker(m('a', 10), { kind: 'no-usable-marker' }, 10n)).toBe(true);
  });
});
