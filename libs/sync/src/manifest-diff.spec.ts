import { diffManifest } from './manifest-diff.js';

const m = (entries: [string, number][]) => new Map(entries.map(([k, v]) => [k, BigInt(v)]));

describe('diffManifest', () => {
  it('reports nothing for equal sides', () => {
    expect(
      diffManifest(
        m([
          ['["1"]', 5],
          ['["2"]', 6],
        ]),
        m([
          ['["2"]', 6],
          ['["1"]', 5],
        ]),
      ),
    ).toEqual({ remoteOnly: [], missingOrOlder: [], newerRemotely: [] });
  });

  it('reports remote-only keys with their remote version', () => {
    expect(
      diffManifest(
        m([['["1"]', 5]]),
        m([
          ['["1"]', 5],
          ['["3"]', 9],
        ]),
      ),
    ).toEqual({
      remoteOnly: [{ key: '["3"]', version: '9' }],
      missingOrOlder: [],
      newerRemotely: [],
    });
  });

  it('reports keys missing remotely or older there, and newer ones apart with the remote version', () => {
    const local = m([
      ['["1"]', 5],
      ['["2"]', 8],
      ['["3"]', 3],
    ]);
    const remote = m([
      ['["2"]', 6],
      ['["3"]', 4],
    ]);
    expect(diffManifest(local, remote)).toEqual({
      remoteOnly: [],
      missingOrOlder: ['["1"]', '["2"]'],
      newerRemotely: [{ key: '["3"]', version: '4' }],
    });
  });

  it('handles empty sides', () => {
    expect(diffManifest(m([]), m([]))).toEqual({ remoteOnly: [], missingOrOlder: [], newerRemotely: [] });
    expect(diffManifest(m([['["a"]', 1]]), m([])).missingOrOlder).toEqual(['["a"]']);
    expect(diffManifest(m([]), m([['["a"]', 1]])).remoteOnly).toEqual([{ key: '["a"]', version: '1' }]);
  });
});
