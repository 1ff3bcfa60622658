/** Provider tokens of the API (API_CONFIG lives beside the configuration, PG_POOL beside the pool in persistence). */
export const REDIS = Symbol('REDIS');
