import { InFlight } from './in-flight.js';

const later = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms));
const failLater = (ms: number, message: string) =>
  new Promise((_, reject) => setTimeout(() => reject(new Error(message)), ms));

describe('InFlight', () => {
  let unhandled: unknown[];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  it('settles quietly when every job succeeds', async () => {
    const f = new InFlight();
    for (let i = 0; i < 5; i++) f.add(later(i * 2, i));
    await expect(f.settle()).resolves.toBeUndefined();
  });

  it('a job failing while nobody awaits it is no unhandled rejection, and settle throws it after the others finished', async () => {
    const f = new InFlight();
    let slowDone = false;
    f.add(failLater(1, 'job j1 failed'));
    f.add(later(30, 'slow').then(() => (slowDone = true)));
    await later(15, 'busy elsewhere'); // the failure happens here
    await expect(f.settle()).rejects.toThrow('job j1 failed');
    expect(slowDone).toBe(true);
    expect(unhandled).toEqual([]);
  });

  it('keeps the first failure of several', async () => {
    const f = new InFlight();
    f.add(failLater(5, 'first'));
    f.add(failLater(10, 'second'));
    await expect(f.settle()).rejects.toThrow('first');
    expect(unhandled).toEqual([]);
  });

  it('below() bounds the jobs running and frees a place as soon as any one finishes', async () => {
    const f = new InFlight();
    f.add(later(50, 'a'));
    f.add(later(5, 'b'));
    const started = Date.now();
    await f.below(2);
    expect(Date.now() - started).toBeLessThan(40);
    await f.settle();
  });

  it('below() stops the sender after a failure: it waits for the rest and throws', async () => {
    const f = new InFlight();
    f.add(failLater(1, 'gone'));
    f.add(later(20, 'x'));
    await later(5, null);
    await expect(f.below(100)).rejects.toThrow('gone');
  });
});
