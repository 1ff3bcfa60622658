// PostgreSQL and Redis for the tests: the configured ones, or private throwaway instances (stopped in teardown).
// Plain JS from the build output: Jest loads global setup outside its module mapping. `npm test` builds first.
import { ensureServices } from '../dist/scripts/lib/services.js';

export default async function globalSetup() {
  const services = await ensureServices();
  Object.assign(process.env, services.env);
  globalThis.rowferryServices = services;
}
