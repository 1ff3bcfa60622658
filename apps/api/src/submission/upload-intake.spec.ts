import { openJob, type ColumnDef, type UploadJob } from '#contracts';
import { takeUpload, type UploadTask } from './upload-intake.js';

const key = 'k'.repeat(32);
const tenant = {
  customerId: '00000000-0000-4000-8000-000000000001',
  databaseId: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
};
const columns: ColumnDef[] = [
  { name: 'id', type: 'bigint' },
  { name: 'qty', type: 'double' },
];
const shape = { columns, keyColumns: ['id'] };
const timeline = '1';
const task = (body: unknown): UploadTask => ({
  body:
    body === undefined ? undefined : new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body)),
  tenant,
  table: 'items',
  shape,
});
const rows = (n: number) => ({
  columns: ['id', 'qty'],
  values: [Array.from({ length: n }, (_, i) => String(i + 1)), Array.from({ length: n }, () => 1)],
  versions: Array.from({ length: n }, (_, i) => String(i + 1)),
});

/** takeUpload: an upload request's bytes to its sealed job, or the 400's message. */
describe('upload intake', () => {
  it('seals the job the worker opens: columns as registered, rows as sent, the body size', () => {
    const body = { rows: rows(3), range: { after: '0', upTo: '3' }, timeline };
    const answer = takeUpload(task(body), key);
    expect(answer.problem).toBeUndefined();
    const ready = answer.job!;
    expect(ready.queue).toBe('upload-express');
    expect(ready.description).toMatch(/^upload items: 3 rows, versions \(0, 3\], database a0eebc99/);
    expect(ready.data).toMatchObject({ tenant, table: 'items' });
    const job = openJob<UploadJob>(JSON.parse(JSON.stringify(ready.data)) as object, key);
    expect(job).toEqual({
      tenant,
      table: 'items',
      key: [columns[0]],
      columns,
      rows: body.rows,
      range: body.range,
      timeline,
      bytes: JSON.stringify(body).length,
    });
  });

  it('sends a batch over the express lane’s size to the large uploads’ queue', () => {
    expect(takeUpload(task({ rows: rows(1001), timeline }), key).job?.queue).toBe('upload');
    expect(takeUpload(task({ rows: rows(1000), timeline }), key).job?.queue).toBe('upload-express');
  });

  it('sets rows that do not fit their column aside, with their reasons, and keeps the rest', () => {
    const body = {
      rows: {
        ...rows(3),
        values: [
          ['1', '2', '3'],
          [1, true, 3],
        ],
      },
      replace: ['7', '8', '9'],
    };
    const job = openJob<UploadJob>(takeUpload(task(body), key).job!.data, key)!;
    expect(job.rows).toEqual({
      columns: ['id', 'qty'],
      values: [
        ['1', '3'],
        [1, 3],
      ],
      versions: ['1', '3'],
    });
    expect(job.replace).toEqual(['7', '9']);
    expect(job.refused?.rows.versions).toEqual(['2']);
    expect(job.refused?.reasons).toEqual([expect.stringMatching(/column "qty" \(double\): expected a finite number/)]);
  });

  it.each([
    ['a body that is not JSON', '{"rows":', /^the request body is not valid JSON: /],
    ['no body', undefined, /^invalid request body: /],
    ['rows missing', { timeline }, /^invalid request body: rows: /],
    ['a replace with a range', { rows: rows(1), replace: ['1'], range: { after: '0', upTo: '1' } }, /no range/],
    ['a column not registered', { rows: { ...rows(1), columns: ['id', 'price'] } }, /^table "items": .*price/],
    [
      'deleted keys with a key array too many',
      { rows: rows(0), deletes: { keys: [['1'], ['2']], versions: ['5'] } },
      /^table "items" has 1 key column\(s\) \(id\); the request gives 2 key array\(s\)$/,
    ],
  ])('answers a problem for %s', (_name, body, message) => {
    const answer = takeUpload(task(body), key);
    expect(answer.job).toBeUndefined();
    expect(answer.problem).toMatch(message);
  });
});
