import type { FleetTable } from '#persistence';
import { renderStatusPage } from './status-page.js';

const now = new Date('2026-11-26T12:00:00Z');
const table = (over: Partial<FleetTable> = {}): FleetTable => ({
  customer: 'Acme',
  databaseId: '10000000-0000-4000-8000-000000000001',
  database: 'shop',
  table: 'items',
  rowCount: '1234567',
  maxVersion: '2000',
  appliedThrough: '1500',
  lastModifiedAt: new Date('2026-11-26T11:59:30Z'),
  schemaError: null,
  quarantined: 2,
  recentBatchRows: [1000, 2000, 4000],
  failedRecently: 1,
  lastFailed: { jobType: 'upload', jobId: 'x' },
  ...over,
});

describe('renderStatusPage', () => {
  it('shows a table with its rows, lag, last change, failures, quarantine and batch trend', () => {
    const seen = new Map([[table().databaseId, new Date('2026-11-26T11:58:00Z')]]);
    const t = table();
    const html = renderStatusPage([t], seen, now, {
      route: '/admin/queues',
      failedIn: new Map([[t, 'upload-express']]),
    });
    expect(html).toContain('<td class="n">1,234,567</td><td class="n">500</td>');
    expect(html).toContain('<td class="n agent-seen">2m ago</td>');
    expect(html).toContain('<td class="n">30s ago</td>');
    expect(html).toContain('<a href="/admin/queues/queue/upload-express?status=failed">1</a>');
    expect(html).toContain('<td class="n quarantined">2</td>');
    expect(html).toContain('<polyline points="0,18 60,12 120,1"/></svg> 4,000');
  });

  it('escapes every name a tenant chose, and marks a refused definition', () => {
    const html = renderStatusPage(
      [table({ customer: '<script>x</script>', database: 'a"b', table: "o'k", schemaError: 'key <changed>' })],
      new Map(),
      now,
      undefined,
    );
    expect(html).not.toContain('<script>x');
    expect(html).toContain('&#60;script&#62;x&#60;/script&#62;');
    expect(html).toContain('data-table="o&#39;k"');
    expect(html).toContain('class="problem" title="key &#60;changed&#62;"');
    expect(html).not.toContain('Bull Board'); // not mounted: no link
    expect(html).toContain('<td class="n failed">1</td>');
  });

  it('copes with a table never loaded: no history, no change yet, nothing behind', () => {
    const html = renderStatusPage(
      [table({ recentBatchRows: [], lastModifiedAt: null, maxVersion: '0', appliedThrough: '0', failedRecently: 0 })],
      new Map(),
      now,
      { route: '/admin/queues', failedIn: new Map() },
    );
    expect(html).toContain('<td class="n">-</td>');
    expect(html).toContain('<td class="n agent-seen">never</td>');
    expect(html).toContain('<td class="n">never</td>');
    expect(html).toContain('<td class="n failed">0</td>');
    expect(html).not.toContain('<svg');
  });

  it('counts failures without a link when their job is no longer kept', () => {
    const html = renderStatusPage([table()], new Map(), now, { route: '/admin/queues', failedIn: new Map() });
    expect(html).toContain('<td class="n failed">1</td>');
  });
});
