import { heapGrowthPercent } from './heap.js';

describe('HEAP_GROWTH_PERCENT', () => {
  it.each([
    [undefined, 20],
    ['', 20],
    ['0', 0],
    ['35', 35],
    ['1000', 1000],
  ])('%p → %p', (setting, percent) => expect(heapGrowthPercent(setting)).toBe(percent));

  it.each(['-5', '1.5', 'ten', '1001', ' 20', '0x10'])('refuses %p, naming the setting', (setting) =>
    expect(() => heapGrowthPercent(setting)).toThrow(/HEAP_GROWTH_PERCENT must be a whole number from 0 to 1000/),
  );
});
