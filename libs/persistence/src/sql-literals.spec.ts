import { tableShapeSql } from './registration.js';

const tenant = {
  customerId: '00000000-0000-4000-8000-000000000001',
  databaseId: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
};

/** The one-round-trip statements have their values written in, so they must take none that would need quoting. */
describe('statements with values written in', () => {
  it('writes in a canonical database id and a table name', () => {
    const sql = tableShapeSql(tenant, 'Order_Lines2');
    expect(sql).toContain(`'${tenant.databaseId}'::uuid`);
    expect(sql).toContain(`table_name = 'Order_Lines2'`);
  });

  it.each([
    ['an upper-case id', { ...tenant, databaseId: tenant.databaseId.toUpperCase() }, undefined],
    ['an id with a quote', { ...tenant, databaseId: `${tenant.databaseId}'--` }, undefined],
    ['a table name with a quote', tenant, "t' OR '1'='1"],
    ['a table name with a space', tenant, 'a b'],
    ['an empty table name', tenant, ''],
    ['a table name too long', tenant, 'x'.repeat(64)],
  ])('refuses %s', (_, t, table) => {
    expect(() => tableShapeSql(t, table ?? 'items')).toThrow(/not a/);
  });
});
