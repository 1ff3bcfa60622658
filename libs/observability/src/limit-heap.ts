import { limitHeapGrowth } from './heap.js';

// Imported first by each program's entry (API, worker, agent), so the limit holds from before the program's own
// modules load: set after them, V8 kept the larger limits it had grown while loading (the API's peak stayed 50-90 MB
// higher under a load).
try {
  limitHeapGrowth();
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
