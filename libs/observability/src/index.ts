export * from './logger.js';
export * from './metrics.js';
export * from './health-answer.js';
export * from './human-format.js';
export * from './heap.js';
