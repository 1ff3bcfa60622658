import { createHmac } from 'node:crypto';
import { openJob, sealJob, sealJson } from './job-signature.js';

describe('sealed jobs', () => {
  const key = 'k'.repeat(32);
  const job = {
    tenant: { customerId: 'c', databaseId: 'd' },
    table: 't',
    rows: { columns: ['id'], values: [['1']], versions: ['1'] },
    bytes: 10,
  };
  /** What BullMQ stores and hands back: the data's JSON, parsed again. */
  const stored = (data: object) => JSON.parse(JSON.stringify(data)) as object;

  it('a job the API sealed is opened after the JSON round trip BullMQ makes', () => {
    expect(openJob(stored(sealJob({ ...job, range: undefined }, key)), key)).toEqual(job);
  });

  it('JSON the intake made is sealed as it is, byte for byte', () => {
    const json = `{"tenant":{"customerId":"c","databaseId":"d"},"table":"t","bytes":10}`;
    const sealed = sealJson(job.tenant, job.table, json, key);
    expect(sealed.sealed).toBe(json);
    expect(openJob(stored(sealed), key)).toEqual(JSON.parse(json));
  });

  it('opens a job stored before jobs were sealed (data in the clear, signed over its JSON)', () => {
    const signature = createHmac('sha256', key).update(JSON.stringify(job)).digest('hex');
    expect(openJob(stored({ ...job, signature }), key)).toEqual(job);
  });

  it.each([
    ['no signature', () => ({ ...job })],
    ['a sealed job without its signature', () => ({ ...sealJob(job, key), signature: undefined })],
    [
      'other sealed rows',
      () => ({ ...sealJob(job, key), sealed: JSON.stringify({ ...job, rows: { ...job.rows, values: [['2']] } }) }),
    ],
    ['another tenant in the seal', () => ({ ...sealJob(job, key), sealed: JSON.stringify({ ...job, tenant: {} }) })],
    ['sealed with another key', () => sealJob(job, 'x'.repeat(32))],
    ['a signature that is not hex', () => ({ ...sealJob(job, key), signature: 'not-hex' })],
    ['a signature of another type', () => ({ ...sealJob(job, key), signature: 42 })],
    [
      'clear data edited beside an old signature',
      () => ({ ...job, table: 'u', signature: sealJob(job, key).signature }),
    ],
  ])('refuses a job with %s', (_name, make) => {
    expect(openJob(stored(make()), key)).toBeUndefined();
  });
});
