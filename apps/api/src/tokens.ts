/** Provider tokens of the API (its configuration's token, API_CONFIG, lives beside the configuration). */
export const PG_POOL = Symbol('PG_POOL');
export const REDIS = Symbol('REDIS');
