import { limitHeapGrowth } from '#observability';
import { startApi } from './bootstrap.js';

try {
  limitHeapGrowth();
  await startApi();
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
