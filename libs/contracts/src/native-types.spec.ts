import { columnDefSchema } from './column-schemas.js';
import { columnTypeName, commonColumn, type ColumnDef } from './columns.js';
import { isNativeType } from './native-types.js';
import { mergeDefinition } from './registration.js';

describe('isNativeType: the PostgreSQL types a column is stored as, itself', () => {
  it.each([
    'interval',
    'interval(6)',
    'interval day to second',
    'interval day to second(3)',
    'interval second(0)',
    'interval year to month',
    'bit varying',
    'time with time zone',
    'time(0) without time zone',
    'bit(1)',
    'bit varying(64)',
    'tsvector',
    'xml',
    'cidr',
    'macaddr8',
    'polygon',
    'numrange',
    'int8multirange',
    'bigint[]',
    'double precision[]',
    'character(3)[]',
    'timestamp without time zone[]',
    'uuid[]',
    'int4range[]',
  ])('%s is', (printed) => expect(isNativeType(printed)).toBe(true));

  it.each([
    'text', // rowferry's own types are not native
    'bigint',
    'timestamp with time zone',
    'time', // format_type never prints it so
    'money',
    'citext',
    'hstore',
    'oid',
    'regclass',
    'address[]',
    'interval year to month[] ; DROP TABLE x',
    'bit(5); DROP TABLE x',
    'tsvector--',
    'integer[][]',
    'bit', // format_type prints bit(1)
    'tsvector(5)',
    'inet(3)',
    'point(1,2)',
    'uuid(1,2)[]',
    'interval(3) day to second',
    'interval second to month',
    'interval year(2)',
    'time(3)',
    'text(5)[]',
    'Interval',
    'bigint year to month',
    '',
  ])('%j is not', (printed) => expect(isNativeType(printed)).toBe(false));
});

describe('a native column in the contract', () => {
  const native = (n: string): ColumnDef => ({ name: 'c', type: 'native', native: n });

  it('names its type, and only a native column does', () => {
    expect(columnDefSchema.safeParse(native('tsvector')).success).toBe(true);
    expect(columnDefSchema.safeParse({ name: 'c', type: 'native' }).success).toBe(false);
    expect(columnDefSchema.safeParse({ name: 'c', type: 'text', native: 'tsvector' }).success).toBe(false);
  });

  it('refuses a type that is not one of the native ones, naming the field', () => {
    const parsed = columnDefSchema.safeParse(native('integer); DROP TABLE t; --'));
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0].path).toEqual(['native']);
  });

  it('shares a column only with the same native type', () => {
    expect(commonColumn(native('bit(10)'), native('bit(10)'))).toEqual(native('bit(10)'));
    expect(commonColumn(native('bit(10)'), native('bit(12)'))).toBeUndefined();
    expect(commonColumn(native('integer[]'), { name: 'c', type: 'bigint' })).toBeUndefined();
    expect(commonColumn(native('inet'), { name: 'c', type: 'json' })).toBeUndefined();
    expect(columnTypeName(native('text[]'))).toBe('native text[]');
  });

  it.each(['text[]', 'integer[]', 'inet', 'bit(5)', 'tsvector', 'xml', 'uuid[]', 'character varying(20)[]'])(
    '%s shares a column with text, as its text (PostgreSQL text[] with MariaDB SET)',
    (n) => {
      expect(commonColumn(native(n), { name: 'c', type: 'text' })).toEqual({ name: 'c', type: 'text' });
      expect(commonColumn({ name: 'c', type: 'text', length: 10 }, native(n))).toEqual({ name: 'c', type: 'text' });
    },
  );

  it.each([
    'interval',
    'time with time zone',
    'tstzrange',
    'int4range',
    'date[]',
    'double precision[]',
    'point',
    'bytea[]',
  ])('%s, whose text follows session settings, shares no column with text', (n) =>
    expect(commonColumn(native(n), { name: 'c', type: 'text' })).toBeUndefined(),
  );

  it("takes over an earlier agent's unbounded text column, and refuses any other change", () => {
    const registered = {
      columns: [
        { name: 'id', type: 'bigint' as const },
        { name: 'c', type: 'text' as const },
      ],
      key: ['id'],
    };
    const taken = mergeDefinition('t', registered, {
      columns: [{ name: 'id', type: 'bigint' }, native('tsvector')],
      key: ['id'],
    });
    expect(taken).toMatchObject({ ok: true, named: [native('tsvector')] });
    const nowNative = { columns: [{ name: 'id', type: 'bigint' as const }, native('bit(5)')], key: ['id'] };
    const changed = mergeDefinition('t', nowNative, {
      columns: [{ name: 'id', type: 'bigint' }, native('bit(6)')],
      key: ['id'],
    });
    expect(changed).toEqual({
      ok: false,
      reason: 'column "c" of table "t" is registered as native bit(5); changing it to native bit(6) is refused',
    });
  });
});
