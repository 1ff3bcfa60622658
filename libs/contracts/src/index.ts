export * from './columns.js';
export * from './wire.js';
export * from './requests.js';
export * from './jobs.js';
export * from './queues.js';
export * from './keys.js';
export * from './row-check.js';
export * from './batch-rows.js';
