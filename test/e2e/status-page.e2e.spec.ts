import pg from 'pg';
import { chromium, type Browser } from 'playwright-core';
import { startStack, type Stack } from '../../scripts/lib/stack.js';
import { call, enroll, ITEMS, tenantPath, waitForJob, type Tenant } from '../security/support.js';

const OPS = { username: 'ops', password: 'ops-password-for-the-board' };

/**
 * In a real browser (Debian's Chromium driven by playwright-core): the ops status page behind the admin token, and
 * Bull Board behind its password, where a failed batch says what it is and a retry from the board completes it.
 */
describe('the ops status page and Bull Board in a browser', () => {
  let stack: Stack;
  let browser: Browser;
  let t: Tenant;
  let admin: pg.Client;
  let failedJobId: string;
  const upload = async (ids: string[], prices: string[], range: [string, string]) => {
    const r = await call(stack, 'POST', `${tenantPath(t)}/tables/items`, {
      secret: t.secret,
      body: {
        rows: { columns: ['id', 'name', 'price'], values: [ids, ids.map((i) => `item ${i}`), prices], versions: ids },
        range: { after: range[0], upTo: range[1] },
      },
    });
    expect(r.status).toBe(202);
    return r.body.jobId as string;
  };

  beforeAll(async () => {
    stack = await startStack('status_page', 1, {
      env: { BULL_BOARD_USER: OPS.username, BULL_BOARD_PASSWORD: OPS.password },
    });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    // A database name a tenant chose: the page must show it as text, never as markup.
    t = await enroll(stack, '<b>shop</b>');
    expect((await call(stack, 'PUT', `${tenantPath(t)}/tables/items`, { secret: t.secret, body: ITEMS })).status).toBe(
      200,
    );
    // Three rows, one of which PostgreSQL refuses (quarantined); then a batch whose statement cannot run at all.
    await waitForJob(stack, t, await upload(['1', '2', '3'], ['1.5', 'not a number', '2.5'], ['0', '3']));
    admin = new pg.Client({ connectionString: stack.databaseUrl });
    await admin.connect();
    await admin.query(`REVOKE INSERT ON rowferry_data.items FROM rowferry_tenant`);
    failedJobId = await upload(['4', '5'], ['4', '5'], ['3', '5']);
    expect((await waitForJob(stack, t, failedJobId)).body.state).toBe('failed');
  });
  afterAll(async () => {
    await browser?.close();
    await admin?.end();
    await stack?.stop();
  });

  it('is closed without the admin token, and shows every table with its lag, failures, quarantine and batch trend', async () => {
    const stranger = await browser.newContext();
    const refused = await stranger.request.get(`${stack.apiUrl}/ops/status`);
    expect(refused.status()).toBe(401);
    expect(refused.headers()['www-authenticate']).toMatch(/^Basic /); // the browser asks for it
    // Basic auth opens this page only: a browser would send it with a request forged by another site, too.
    const basic = `Basic ${Buffer.from(`admin:${stack.adminToken}`).toString('base64')}`;
    const forged = await stranger.request.get(`${stack.apiUrl}/v1/admin/quarantine`, {
      headers: { authorization: basic },
    });
    expect(forged.status()).toBe(401);
    await stranger.close();

    // The agent's pass starts with the version info: the page says when the agent was last seen.
    expect((await call(stack, 'GET', `${tenantPath(t)}/tables`, { secret: t.secret })).status).toBe(200);
    const ops = await browser.newContext({ httpCredentials: { username: 'admin', password: stack.adminToken } });
    const page = await ops.newPage();
    expect((await page.goto(`${stack.apiUrl}/ops/status`))!.status()).toBe(200);
    const row = page.locator(`tr[data-database="${t.databaseId}"][data-table="items"]`);
    await expect(row.locator('td').nth(1).textContent()).resolves.toBe('<b>shop</b>-db');
    expect(await row.locator('b').count()).toBe(0);
    await expect(row.locator('td.quarantined').textContent()).resolves.toBe('1');
    await expect(row.locator('td.agent-seen').textContent()).resolves.toMatch(/^\d+s ago$/); // its version GET
    await expect(row.locator('td.failed').textContent()).resolves.toBe('1');
    expect(await row.locator('svg polyline').getAttribute('points')).toMatch(/^\d+,\d+/);
    // The failed count links to the failed jobs of the queue holding the newest: small batches run in the express lane.
    expect(await row.locator('td.failed a').getAttribute('href')).toBe(
      '/admin/queues/queue/upload-express?status=failed',
    );
    await ops.close();
  });

  it('opens Bull Board with its password, shows the failed batch with tenant, table, versions and error, and retries it', async () => {
    const ops = await browser.newContext({ httpCredentials: OPS });
    const page = await ops.newPage();
    await page.goto(`${stack.apiUrl}/admin/queues/queue/upload-express?status=failed`);
    const card = page.locator('[class*="card"]', { hasText: 'upload items: 2 rows, versions (3, 5]' }).first();
    await card.waitFor({ timeout: 15_000 });
    expect(await card.textContent()).toContain(`database ${t.databaseId}`);
    await card.getByText('Error', { exact: true }).click();
    // The tab renders after the click: wait for the error, then read it.
    const error = card.getByText(/upload of 2 rows to "items" was refused by PostgreSQL: permission denied/);
    await error.first().waitFor({ timeout: 10_000 });
    await expect(card.textContent()).resolves.toMatch(
      /upload of 2 rows to "items" was refused by PostgreSQL: permission denied/,
    );

    await admin.query(`GRANT INSERT ON rowferry_data.items TO rowferry_tenant`);
    // Bull Board's job actions are icons, with their name in a tooltip: retry is the circular arrows.
    await card.locator('button:has(svg.lucide-refresh-cw)').click();
    const dialog = page.getByRole('alertdialog').or(page.getByRole('dialog'));
    await expect(dialog.textContent()).resolves.toMatch(/want to retry this job/);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    // The same job, no longer failed: applied.
    const deadline = Date.now() + 15_000;
    let status = (await waitForJob(stack, t, failedJobId)).body;
    while (status.state !== 'completed' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      status = (await call(stack, 'GET', `${tenantPath(t)}/jobs/${failedJobId}`, { secret: t.secret })).body;
    }
    expect(status).toMatchObject({ state: 'completed', result: { applied: 2 } });
    const { rows } = await admin.query(`SELECT id::int FROM rowferry_data.items WHERE id IN (4, 5) ORDER BY id`);
    expect(rows).toEqual([{ id: 4 }, { id: 5 }]);
    await ops.close();
  });
});
