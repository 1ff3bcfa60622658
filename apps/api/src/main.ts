import '#observability/limit-heap'; // first: before the API's modules load
import { startApi } from './bootstrap.js';

try {
  await startApi();
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
