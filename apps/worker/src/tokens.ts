/** Provider tokens of the worker: the PostgreSQL pool every job service writes through. */
export const PG_POOL = Symbol('PG_POOL');
