import { startStack, type Stack } from '../../scripts/lib/stack.js';
import { ADMIN_ROUTES, fill, TENANT_ROUTES } from './routes.js';
import {
  call,
  enroll,
  enrollCustomer,
  ITEMS,
  seedItems,
  snapshotOf,
  spellings,
  tenantPath,
  waitForJob,
  type Tenant,
} from './support.js';

/**
 * Every route × method with another tenant's secret, and with case variants of the ids: 403/404, and nothing changes.
 */
describe('cross-tenant matrix', () => {
  let stack: Stack;
  let attacker: Tenant;
  let victim: Tenant;
  let sibling: Tenant; // the attacker's customer's other database
  const victimIds: Record<string, string> = {};

  beforeAll(async () => {
    stack = await startStack('cross_tenant', 1);
    attacker = await enroll(stack, 'attacker');
    victim = await enroll(stack, 'victim');
    const customer = await enrollCustomer(stack, 'attacker-customer');
    const first = await call(stack, 'POST', `/v1/customers/${customer.customerId}/databases`, {
      secret: customer.enrollmentKey,
      body: { name: 'one' },
    });
    const second = await call(stack, 'POST', `/v1/customers/${customer.customerId}/databases`, {
      secret: customer.enrollmentKey,
      body: { name: 'two' },
    });
    attacker = first.body;
    sibling = second.body;
    await seedItems(stack, attacker, 2);
    await seedItems(stack, victim, 5);
    await seedItems(stack, sibling, 3);
    // The victim has a quarantined row, a job and a marker the attacker may learn the ids of.
    const bad = await call(stack, 'POST', `${tenantPath(victim)}/tables/items`, {
      secret: victim.secret,
      body: { rows: { columns: ['id', 'price'], values: [['77'], ['not a number']], versions: ['77'] } },
    });
    await waitForJob(stack, victim, bad.body.jobId);
    victimIds.job = bad.body.jobId;
    victimIds.q = (await call(stack, 'GET', `${tenantPath(victim)}/tables/items/quarantine`, { secret: victim.secret }))
      .body.rows[0]?.id;
    victimIds.m = '7a1c1c1e-0000-4000-8000-000000000002';
    expect(
      (
        await call(stack, 'POST', `${tenantPath(victim)}/markers`, {
          secret: victim.secret,
          body: { id: victimIds.m, watermark: '3' },
        })
      ).status,
    ).toBe(204);
    expect(victimIds.q).toBeDefined();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("the attacker's secret opens nothing of another database, by any spelling of its ids", async () => {
    const before = [await snapshotOf(stack, victim.databaseId), await snapshotOf(stack, sibling.databaseId)];
    const targets = [
      ...spellings(victim.databaseId).map((d) => ({ c: victim.customerId, d })),
      ...spellings(victim.customerId).map((c) => ({ c, d: victim.databaseId })),
      { c: attacker.customerId, d: victim.databaseId },
      { c: victim.customerId, d: attacker.databaseId },
      ...spellings(sibling.databaseId).map((d) => ({ c: sibling.customerId, d })),
    ];
    const seen: string[] = [];
    for (const target of targets)
      for (const route of TENANT_ROUTES) {
        const r = await call(stack, route.method, fill(route.path, { ...victimIds, ...target }), {
          secret: attacker.secret,
          body: route.body,
        });
        seen.push(`${r.status} ${route.method} ${route.path}`);
        const outcome = r.status === 403 || r.status === 404 ? 'refused' : r.status;
        expect([route.method, route.path, target, outcome]).toEqual([route.method, route.path, target, 'refused']);
      }
    expect(seen).toHaveLength(targets.length * TENANT_ROUTES.length);
    expect([await snapshotOf(stack, victim.databaseId), await snapshotOf(stack, sibling.databaseId)]).toEqual(before);
  });

  it("on its own path, the attacker cannot reach the victim's job, quarantined row or marker by id", async () => {
    const before = await snapshotOf(stack, victim.databaseId);
    for (const route of TENANT_ROUTES.filter((r) => /\{(job|q|m)\}/.test(r.path))) {
      const r = await call(
        stack,
        route.method,
        fill(route.path, { ...victimIds, c: attacker.customerId, d: attacker.databaseId }),
        { secret: attacker.secret, body: route.body },
      );
      expect([route.path, r.status]).toEqual([route.path, 404]);
    }
    expect(await snapshotOf(stack, victim.databaseId)).toEqual(before);
  });

  it('with its record cached by an accepted request, a database still refuses a wrong secret and another customer', async () => {
    const path = `${tenantPath(victim)}/tables`;
    expect((await call(stack, 'GET', path, { secret: victim.secret })).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      expect((await call(stack, 'GET', path, { secret: attacker.secret })).status).toBe(403);
      expect((await call(stack, 'GET', path, { secret: `${victim.secret}x` })).status).toBe(403);
      const otherCustomer = `/v1/customers/${attacker.customerId}/databases/${victim.databaseId}/tables`;
      expect((await call(stack, 'GET', otherCustomer, { secret: victim.secret })).status).toBe(403);
    }
  });

  it('a database secret opens no admin route', async () => {
    for (const route of ADMIN_ROUTES) {
      const r = await call(stack, route.method, fill(route.path, victimIds), {
        secret: attacker.secret,
        body: route.body,
      });
      expect([route.path, r.status]).toEqual([route.path, 401]);
    }
  });

  it('the victim still works', async () => {
    expect(
      (await call(stack, 'PUT', `${tenantPath(victim)}/tables/items`, { secret: victim.secret, body: ITEMS })).status,
    ).toBe(200);
    expect(
      (await call(stack, 'GET', `${tenantPath(victim)}/tables/items`, { secret: victim.secret })).body,
    ).toMatchObject({ rowCount: '5' });
  });
});
