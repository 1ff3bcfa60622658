export * from './pass.js';
export * from './slices.js';
export * from './manifest-diff.js';
export * from './applied-through.js';
export * from './restore.js';
export * from './batch-tuning.js';
export * from './range-digest.js';
export * from './safe-watermark.js';
