import { loadWorkerConfig } from './config.js';

const KEY = { JOB_SIGNING_KEY: 'k'.repeat(40) };

describe('worker configuration', () => {
  it('has the ops port on loopback and metrics off by default', () => {
    expect(loadWorkerConfig(KEY)).toMatchObject({ OPS_PORT: 9464, OPS_HOST: '127.0.0.1', METRICS_PER_DATABASE: false });
    expect(loadWorkerConfig(KEY).METRICS_TOKEN).toBeUndefined();
  });

  it('takes an empty METRICS_TOKEN (as compose passes an unset one) as unset, and refuses a short one', () => {
    expect(loadWorkerConfig({ ...KEY, METRICS_TOKEN: '' }).METRICS_TOKEN).toBeUndefined();
    expect(() => loadWorkerConfig({ ...KEY, METRICS_TOKEN: 'short' })).toThrow(
      'bad worker configuration: METRICS_TOKEN: METRICS_TOKEN must be at least 16 characters',
    );
  });

  it('reads METRICS_PER_DATABASE as the words true and false', () => {
    expect(loadWorkerConfig({ ...KEY, METRICS_PER_DATABASE: 'true' }).METRICS_PER_DATABASE).toBe(true);
    expect(loadWorkerConfig({ ...KEY, METRICS_PER_DATABASE: 'false' }).METRICS_PER_DATABASE).toBe(false);
    expect(() => loadWorkerConfig({ ...KEY, METRICS_PER_DATABASE: 'maybe' })).toThrow(/METRICS_PER_DATABASE/);
  });

  it('consumes every queue by default, or the queues WORKER_QUEUES names, and refuses a name that is no queue', () => {
    expect(loadWorkerConfig(KEY).WORKER_QUEUES).toEqual([
      'upload',
      'upload-express',
      'delete',
      'manifest-check',
      'range-hash',
    ]);
    expect(
      loadWorkerConfig({ ...KEY, WORKER_QUEUES: 'upload-express, range-hash,upload-express' }).WORKER_QUEUES,
    ).toEqual(['upload-express', 'range-hash']);
    expect(() => loadWorkerConfig({ ...KEY, WORKER_QUEUES: 'upload,uploads' })).toThrow(
      'bad worker configuration: WORKER_QUEUES.1: "uploads" is not a queue (upload, upload-express, delete, manifest-check, range-hash)',
    );
    expect(() => loadWorkerConfig({ ...KEY, WORKER_QUEUES: '' })).toThrow(/WORKER_QUEUES/);
  });
});
