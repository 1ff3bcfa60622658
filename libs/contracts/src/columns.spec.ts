import { commonColumn, columnTypeName, type ColumnDef } from './columns.js';
import { mergeDefinition } from './registration.js';

const col = (type: ColumnDef['type'], length?: number): ColumnDef => ({
  name: 'c',
  type,
  ...(length ? { length } : {}),
});

describe('commonColumn: the type a shared column widens to', () => {
  it.each([
    [col('bigint'), col('bigint'), 'bigint'],
    [col('bigint'), col('numeric'), 'numeric'],
    [col('numeric'), col('bigint'), 'numeric'],
    [col('text', 20), col('text', 50), 'text(50)'],
    [col('text', 50), col('text', 20), 'text(50)'],
    [col('text', 20), col('text'), 'text'],
    [col('text'), col('timestamp'), 'text'],
    [col('timestamp'), col('text', 10), 'text'],
    [col('date'), col('text'), 'text'],
    [col('timestamp'), col('timestamptz'), 'timestamptz'],
    [col('timestamptz'), col('text'), 'text'], // printed in UTC: the services' sessions run in UTC
    [col('char', 20), col('char', 30), 'char(30)'],
    [col('char', 20), col('char'), 'char'],
    [col('char', 20), col('text', 10), 'text(20)'],
    [col('text', 40), col('char', 20), 'text(40)'],
    [col('char', 20), col('text'), 'text'],
    [col('timestamptz'), col('timestamp'), 'timestamptz'],
  ])('%j with %j → %s', (a, b, expected) => {
    expect(columnTypeName(commonColumn(a, b)!)).toBe(expected);
  });

  it.each([
    [col('bigint'), col('text')], // a number and a string: no lossless common type among ours
    [col('double'), col('numeric')], // NaN and the infinities do not fit numeric's ordering the same way
    [col('timestamp'), col('date')],
    [col('timestamptz'), col('date')],
    [col('boolean'), col('bigint')],
    [col('json'), col('text')],
    [col('uuid'), col('text')],
    [col('bytea'), col('text')],
    [col('char', 1), col('boolean')],
    [col('char', 4), col('bigint')],
  ])('%j and %j have none', (a, b) => {
    expect(commonColumn(a, b)).toBeUndefined();
    expect(commonColumn(b, a)).toBeUndefined();
  });
});

describe("mergeDefinition: a database's own column types", () => {
  const registered = { columns: [{ name: 'id', type: 'bigint' as const }, col('text', 20)], key: ['id'] };

  it('takes a column its application widened, as the new type', () => {
    const merged = mergeDefinition('t', registered, {
      columns: [{ name: 'id', type: 'bigint' }, col('text', 50)],
      key: ['id'],
    });
    expect(merged).toEqual({
      ok: true,
      definition: { columns: [{ name: 'id', type: 'bigint' }, col('text', 50)], key: ['id'] },
      added: [],
      unpadded: [],
      named: [],
    });
  });

  it('takes a char(n) that earlier agents declared text(n), key or not, and says its values lose their padding', () => {
    const before = { columns: [{ ...col('text', 2), name: 'code' }, col('text', 20)], key: ['code'] };
    const now = { columns: [{ ...col('char', 2), name: 'code' }, col('char', 20)], key: ['code'] };
    expect(mergeDefinition('t', before, now)).toEqual({
      ok: true,
      definition: now,
      added: [],
      unpadded: ['code', 'c'],
      named: [],
    });
  });

  it('takes a column earlier agents sent as text (a domain) declared as the type it was the text of; not a key', () => {
    const before = { columns: [{ name: 'id', type: 'bigint' as const }, col('text')], key: ['id'] };
    for (const type of ['bigint', 'numeric', 'boolean', 'date', 'timestamptz', 'uuid'] as const)
      expect(mergeDefinition('t', before, { columns: [before.columns[0], col(type)], key: ['id'] })).toMatchObject({
        ok: true,
        unpadded: [],
      });
    expect(mergeDefinition('t', before, { columns: [before.columns[0], col('bytea')], key: ['id'] })).toMatchObject({
      ok: false,
    });
    expect(mergeDefinition('t', { ...before, key: ['c'] }, { columns: [col('bigint')], key: ['c'] })).toMatchObject({
      ok: false,
    });
    const bounded = { columns: [before.columns[0], col('text', 20)], key: ['id'] };
    expect(mergeDefinition('t', bounded, { columns: [before.columns[0], col('bigint')], key: ['id'] })).toMatchObject({
      ok: false,
    });
  });

  it('refuses a text(n) turned into a char of another length', () => {
    expect(
      mergeDefinition('t', registered, { columns: [registered.columns[0], col('char', 10)], key: ['id'] }),
    ).toMatchObject({ ok: false });
  });

  it('refuses a column narrowed, or changed to an unrelated type', () => {
    for (const c of [col('text', 10), col('bigint')])
      expect(
        mergeDefinition('t', registered, { columns: [{ name: 'id', type: 'bigint' }, c], key: ['id'] }),
      ).toMatchObject({
        ok: false,
        reason: expect.stringMatching(
          /column "c" of table "t" is registered as text\(20\); changing it to .* is refused/,
        ),
      });
  });

  it('refuses a key column widened: keys must agree', () => {
    const keyed = { columns: [col('bigint')], key: ['c'] };
    expect(mergeDefinition('t', keyed, { columns: [col('numeric')], key: ['c'] })).toMatchObject({ ok: false });
  });
});
