/** Every provider token of the API, in one place. */
export { PG_POOL } from '#persistence';
export const API_CONFIG = Symbol('API_CONFIG');
export const REDIS = Symbol('REDIS');
