import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what its last full collection kept, in percent (HEAP_GROWTH_PERCENT,
 * default 20; 0 keeps V8's own factor). Each batch leaves large strings and arrays behind (a body, its JSON, its
 * columns) that only a full collection frees, and V8's own factor (up to four times the live heap) let them pile up:
 * most of a process's memory under a load was garbage waiting (docs/benchmarks.md). V8 reads this one at run time,
 * so setting it first thing in a process is enough; worker threads share it.
 */
export function limitHeapGrowth(env: NodeJS.ProcessEnv = process.env): void {
  const percent = heapGrowthPercent(env.HEAP_GROWTH_PERCENT);
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}

export function heapGrowthPercent(setting: string | undefined): number {
  if (setting === undefined || setting === '') return 20;
  const percent = Number(setting);
  if (!/^\d+$/.test(setting) || percent > 1000)
    throw new Error(`HEAP_GROWTH_PERCENT must be a whole number from 0 to 1000 (0: V8's own), not "${setting}"`);
  return percent;
}
