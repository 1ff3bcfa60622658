/**
 * Every tenant route of the API with a body it would accept, so that only authorisation stands between a caller and
 * its effect. `{c}`, `{d}` are the customer and database ids in the path; `{job}`, `{q}`, `{m}` a job id, a
 * quarantine id and a marker id.
 */
export interface Route {
  method: string;
  path: string;
  body?: unknown;
}

const rows = { rows: { columns: ['id', 'name', 'price'], values: [['900'], ['forged'], ['1']], versions: ['900'] } };

export const TENANT_ROUTES: Route[] = [
  { method: 'GET', path: '/v1/customers/{c}/databases/{d}/tables' },
  {
    method: 'PUT',
    path: '/v1/customers/{c}/databases/{d}/tables/items',
    body: {
      columns: [
        { name: 'id', type: 'bigint' },
        { name: 'forged', type: 'text' },
      ],
      key: ['id'],
    },
  },
  { method: 'GET', path: '/v1/customers/{c}/databases/{d}/tables/items' },
  { method: 'POST', path: '/v1/customers/{c}/databases/{d}/tables/items', body: rows },
  { method: 'DELETE', path: '/v1/customers/{c}/databases/{d}/tables/items', body: { mode: 'all' } },
  {
    method: 'POST',
    path: '/v1/customers/{c}/databases/{d}/tables/items/manifest-check',
    body: { ranges: [{ after: '0', upTo: '1000' }], keys: [], versions: [] },
  },
  {
    method: 'POST',
    path: '/v1/customers/{c}/databases/{d}/tables/items/range-hash',
    body: { ranges: [{ after: '0', upTo: '1000' }] },
  },
  { method: 'POST', path: '/v1/customers/{c}/databases/{d}/tables/items/backfill', body: { from: '0', next: null } },
  { method: 'GET', path: '/v1/customers/{c}/databases/{d}/jobs/{job}' },
  { method: 'GET', path: '/v1/customers/{c}/databases/{d}/tables/items/batches' },
  { method: 'GET', path: '/v1/customers/{c}/databases/{d}/tables/items/tuning' },
  { method: 'GET', path: '/v1/customers/{c}/databases/{d}/tables/items/quarantine' },
  { method: 'POST', path: '/v1/customers/{c}/databases/{d}/tables/items/quarantine/{q}/retry' },
  { method: 'GET', path: '/v1/customers/{c}/databases/{d}/markers' },
  {
    method: 'POST',
    path: '/v1/customers/{c}/databases/{d}/markers',
    body: { id: '6f1c1c1e-0000-4000-8000-000000000001', watermark: '5' },
  },
  { method: 'POST', path: '/v1/customers/{c}/databases/{d}/markers/{m}/restored' },
];

export const ADMIN_ROUTES: Route[] = [
  { method: 'POST', path: '/v1/admin/customers', body: { name: 'forged' } },
  { method: 'GET', path: '/v1/admin/quarantine' },
  { method: 'POST', path: '/v1/admin/quarantine/{q}/retry' },
];

export function fill(path: string, ids: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, k: string) => ids[k] ?? k);
}
