import { detectRestore, keepMarkersThrough, type Marker } from './restore.js';

const mk = (id: string, counter: number): Marker => ({ id, counter: BigInt(counter) });
const written = [mk('a', 10), mk('b', 20), mk('c', 30)];

describe('restore detection', () => {
  it('sees no restore on a first run', () => {
    expect(detectRestore([], undefined)).toBeUndefined();
    expect(detectRestore([], mk('x', 5))).toBeUndefined();
  });

  it('sees no restore when the newest marker is the one written last', () => {
    expect(detectRestore(written, mk('c', 30))).toBeUndefined();
  });

  it('returns the counter of an older marker that came back', () => {
    expect(detectRestore(written, mk('b', 20))).toBe(20n);
    expect(detectRestore(written, mk('a', 10))).toBe(10n);
  });

  it('trusts nothing when no marker or an unknown one came back', () => {
    expect(detectRestore(written, undefined)).toBe(0n);
    expect(detectRestore(written, mk('zzz', 25))).toBe(0n);
  });

  it('forgets markers of the timeline that is gone', () => {
    expect(keepMarkersThrough(written, 'b')).toEqual([mk('a', 10), mk('b', 20)]);
    expect(keepMarkersThrough(written, undefined)).toEqual([]);
    expect(keepMarkersThrough(written, 'nope')).toEqual([]);
  });
});
