export * from './redis-connection.js';
export * from './queue-policy.js';
export * from './redis-memory.js';
