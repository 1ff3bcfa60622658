import { signJob, verifiedJob } from './job-signature.js';

describe('job signatures', () => {
  const key = 'k'.repeat(32);
  const job = {
    tenant: { customerId: 'c', databaseId: 'd' },
    table: 't',
    rows: { columns: ['id'], values: [['1']], versions: ['1'] },
    bytes: 10,
  };

  it('a job the API signed is verified after the JSON round trip BullMQ makes', () => {
    const stored = JSON.parse(JSON.stringify(signJob({ ...job, range: undefined }, key)));
    expect(verifiedJob(stored, key)).toEqual(job);
  });

  it.each([
    ['no signature', () => ({ ...job })],
    ['another tenant', () => ({ ...signJob(job, key), tenant: { customerId: 'c', databaseId: 'other' } })],
    ['edited rows', () => ({ ...signJob(job, key), rows: { columns: ['id'], values: [['2']], versions: ['1'] } })],
    ['signed with another key', () => signJob(job, 'x'.repeat(32))],
    ['a signature that is not hex', () => ({ ...signJob(job, key), signature: 'not-hex' })],
    ['a signature of another type', () => ({ ...job, signature: 42 })],
  ])('refuses a job with %s', (_name, make) => {
    expect(verifiedJob(make() as never, key)).toBeUndefined();
  });
});
