import { createHmac } from 'node:crypto';
import { columnJson } from './batch-rows.js';
import { openJob, sealJob } from './job-signature.js';

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

  it("seals an upload's values one column a line after its JSON, and opens them as they were", () => {
    const upload = {
      ...job,
      rows: {
        columns: ['id', 'note', 'qty'],
        values: [
          ['1', '2'],
          ['a\nb', null],
          [1.5, 2],
        ],
        versions: ['1', '2'],
      },
      refused: { rows: { columns: ['id'], values: [['x']], versions: ['3'] }, reasons: ['not an integer'] },
    };
    const sealed = sealJob(upload, key);
    const [head, ...lines] = sealed.sealed.split('\n');
    expect(lines).toEqual(['["1","2"]', '["a\\nb",null]', '[1.5,2]']);
    expect(JSON.parse(head)).toEqual({ ...upload, rows: { columns: upload.rows.columns, versions: ['1', '2'] } });
    const opened = openJob<typeof upload>(stored(sealed), key)!;
    expect(opened).toEqual(upload);
    expect(opened.rows.values.map((_, i) => columnJson(opened.rows.values, i))).toEqual(lines);
  });

  it('opens an upload sealed before its columns had lines of their own (all its JSON on one line)', () => {
    const json = JSON.stringify(job);
    const signature = createHmac('sha256', key).update(json).digest('hex');
    expect(openJob(stored({ tenant: job.tenant, table: job.table, sealed: json, signature }), key)).toEqual(job);
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
    [
      'a column line edited',
      () => {
        const sealed = sealJob(job, key);
        return { ...sealed, sealed: sealed.sealed.replace(/\n\["1"\]$/, '\n["2"]') };
      },
    ],
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
