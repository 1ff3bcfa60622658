import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * An engine's driver, loaded when a source of that engine opens: an agent loads only its own engine's, and starts
 * the faster for it (docs/benchmarks.md, Idle fleet).
 */
export function driver<T>(name: 'pg' | 'mysql2/promise' | 'better-sqlite3'): T {
  return require(name) as T;
}
