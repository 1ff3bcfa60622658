import { ProgressBar, progressLine, type UploadProgress } from './progress.js';

const at = (over: Partial<UploadProgress>): UploadProgress => ({
  table: 'people',
  from: 0n,
  at: 0n,
  to: 1_000_000n,
  rows: 0,
  done: false,
  ...over,
});

describe('progressLine', () => {
  it('shows the share of versions sent, the rows, their rate and the time left', () => {
    expect(progressLine(at({ at: 250_000n, rows: 240_000 }), 4000, 100)).toBe(
      'people  [##########------------------------------]   25%  240,000 rows  60,000 rows/s  ETA 0:12',
    );
  });

  it('counts from where the upload started, not from version 0', () => {
    expect(progressLine(at({ from: 500_000n, at: 750_000n, rows: 1000 }), 1000, 100)).toMatch(/ 50% .* ETA 0:01$/);
  });

  it.each([
    ['nothing sent yet', at({}), 0, / 0% .*ETA \?$/],
    ['all sent', at({ at: 1_000_000n, rows: 5 }), 1000, /100% .*ETA 0:00$/],
    ['an empty span', at({ to: 0n }), 1000, /100%/],
    ['hours left', at({ at: 1000n, rows: 1000 }), 10_000, /ETA 2:46:30$/],
  ])('%s', (_name, p, elapsed, expected) => {
    expect(progressLine(p, elapsed, 100)).toMatch(expected);
  });

  it('fits the terminal, a long table name cut short', () => {
    const line = progressLine(at({ table: 'x'.repeat(60), at: 10n, rows: 10 }), 1000, 80);
    expect(line.length).toBeLessThanOrEqual(80);
    expect(line).toMatch(/^x{23}… {2}\[/);
  });
});

describe('ProgressBar', () => {
  it('draws only uploads that last over a second, in place, and clears itself when done', () => {
    const written: string[] = [];
    const bar = new ProgressBar({ write: (s: string) => written.push(s), columns: 100 });
    const realNow = Date.now;
    let now = 1_000_000;
    Date.now = () => now;
    try {
      bar.update(at({ at: 10n, rows: 10 }));
      now += 500;
      bar.update(at({ at: 20n, rows: 20 }));
      expect(written).toEqual([]); // a short pass draws nothing
      now += 600;
      bar.update(at({ at: 30n, rows: 30 }));
      expect(written).toHaveLength(1);
      expect(written[0].startsWith('\rpeople  [')).toBe(true);
      expect(written[0].endsWith('\x1b[K')).toBe(true); // the rest of the line erased
      now += 100;
      bar.update(at({ at: 40n, rows: 40 }));
      expect(written).toHaveLength(1); // at most four times a second
      bar.update(at({ at: 1_000_000n, rows: 50, done: true }));
      expect(written.at(-1)).toBe('\r\x1b[K');
    } finally {
      Date.now = realNow;
    }
  });
});
