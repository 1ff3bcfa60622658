/** Every provider token of the worker, in one place. */
export { PG_POOL } from '#persistence';
export const WORKER_CONFIG = Symbol('WORKER_CONFIG');
