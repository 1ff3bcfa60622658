import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// What each program's entry imports first (apps/*/src/main.ts).
const limitHeap = fileURLToPath(new URL('../../dist/libs/observability/src/limit-heap.js', import.meta.url));

/**
 * A process as rowferry's are under a load: a live heap (its framework, 30 MB or so) and, batch after batch, large
 * strings and arrays that are garbage at once. Returns the largest heap V8 kept, in MB.
 */
function peakHeapMb(env: Record<string, string>): number {
  const program = `
    import ${JSON.stringify(limitHeap)};
    import v8 from 'node:v8';
    const kept = Array.from({ length: 300000 }, (_, i) => ({ i, s: 'kept ' + i }));
    let peak = 0;
    for (let batch = 0; batch < 200; batch++) {
      const rows = Array.from({ length: 20000 }, (_, r) => [r, 'name ' + r + ' ' + batch, r * 1.5]);
      if (JSON.stringify(rows).length === 0) throw new Error('unreachable');
      peak = Math.max(peak, v8.getHeapStatistics().total_heap_size);
    }
    console.log(JSON.stringify({ kept: kept.length, peak }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', program], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return JSON.parse(out).peak / 2 ** 20;
}

describe("a process's heap under batch after batch of garbage (HEAP_GROWTH_PERCENT)", () => {
  it('stays near its live size by default, where V8 alone lets the garbage pile up to twice that', () => {
    const bounded = peakHeapMb({ HEAP_GROWTH_PERCENT: '' }); // unset: the default
    const own = peakHeapMb({ HEAP_GROWTH_PERCENT: '0' });
    expect(bounded).toBeLessThan(120);
    expect(own).toBeGreaterThan(bounded * 1.6);
  }, 60_000);

  it('refuses a bad setting at start, naming it', () => {
    expect(() => peakHeapMb({ HEAP_GROWTH_PERCENT: 'lots' })).toThrow(/HEAP_GROWTH_PERCENT must be a whole number/);
  });
});
