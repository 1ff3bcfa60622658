import { decodeKey, encodeKey } from './keys.js';
import { tableDefinitionSchema } from './column-schemas.js';
import { columnarRowsSchema, int64StringSchema } from './wire-schemas.js';

describe('canonical key encoding', () => {
  it('has no separator collisions in composite keys', () => {
    expect(encodeKey(['bigint', 'text'], ['1', '11'])).not.toBe(encodeKey(['bigint', 'text'], ['11', '1']));
    expect(encodeKey(['text', 'text'], ['a,b', 'c'])).not.toBe(encodeKey(['text', 'text'], ['a', 'b,c']));
    expect(encodeKey(['text', 'text'], ['a"', '"b'])).not.toBe(encodeKey(['text', 'text'], ['a', '","b']));
  });

  it('normalises integers and uuids so both sides agree', () => {
    expect(encodeKey(['bigint'], [42])).toBe(encodeKey(['bigint'], ['42']));
    expect(encodeKey(['bigint'], ['-9223372036854775808'])).toBe('["-9223372036854775808"]');
    expect(encodeKey(['uuid'], ['A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'])).toBe(
      '["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"]',
    );
  });

  it('keeps text exactly: case, non-ASCII, quotes, empty string', () => {
    for (const t of ['Abc', 'abc', 'Zürich', '東京', '😀', 'a"b\\c', '', ' lead']) {
      expect(decodeKey(['text'], encodeKey(['text'], [t]))).toEqual([t]);
    }
    expect(encodeKey(['text'], ['Abc'])).not.toBe(encodeKey(['text'], ['abc']));
  });

  it("a char(n) key is its value without the padding, however an engine sends it, as PostgreSQL's char compares", () => {
    expect(encodeKey(['char'], ['ab    '])).toBe(encodeKey(['char'], ['ab']));
    expect(encodeKey(['char'], [' ab'])).not.toBe(encodeKey(['char'], ['ab']));
    expect(encodeKey(['char', 'text'], ['ab  ', 'x '])).toBe('["ab","x "]'); // text keeps its blanks
  });

  it('round-trips composite keys of every key type', () => {
    const types = ['bigint', 'text', 'uuid', 'bytea', 'boolean', 'date'] as const;
    const values = ['7', 'x', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'AAEC', true, '1969-07-20'];
    expect(decodeKey(types, encodeKey(types, values))).toEqual(values);
  });

  it('refuses NULL key values and non-key types', () => {
    expect(() => encodeKey(['bigint'], [null])).toThrow(/NULL/);
    expect(() => encodeKey(['double'], [1.5])).toThrow(/cannot be part of a key/);
    expect(() => encodeKey(['bigint', 'text'], ['1'])).toThrow(/2 columns but 1 values/);
    expect(() => decodeKey(['bigint'], '["1","2"]')).toThrow(/not a canonical key/);
  });
});

describe('wire schemas', () => {
  it('accepts int64 bounds and refuses what does not fit', () => {
    expect(int64StringSchema.safeParse('9223372036854775807').success).toBe(true);
    expect(int64StringSchema.safeParse('-9223372036854775808').success).toBe(true);
    expect(int64StringSchema.safeParse('9223372036854775808').error?.issues[0].message).toMatch(/64-bit/);
    expect(int64StringSchema.safeParse('1.5').success).toBe(false);
  });

  it('names the column whose value count is off', () => {
    const r = columnarRowsSchema.safeParse({
      columns: ['id', 'name'],
      values: [['1', '2'], ['a']],
      versions: ['1', '2'],
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message).join()).toMatch(
      /column "name" has 1 values but the batch has 2 versions/,
    );
  });

  it('validates table definitions with messages that name the problem', () => {
    const bad = (def: unknown) =>
      tableDefinitionSchema
        .safeParse(def)
        .error?.issues.map((i) => i.message)
        .join('; ');
    expect(bad({ columns: [{ name: 'id', type: 'bigint' }], key: ['nope'] })).toMatch(
      /key column "nope" is not among the columns/,
    );
    expect(bad({ columns: [{ name: 'x', type: 'double' }], key: ['x'] })).toMatch(/key column "x" has type double/);
    expect(bad({ columns: [{ name: '_rf_version', type: 'bigint' }], key: ['_rf_version'] })).toMatch(/reserved/);
    expect(
      bad({
        columns: [
          { name: 'a', type: 'bigint' },
          { name: 'a', type: 'text' },
        ],
        key: ['a'],
      }),
    ).toMatch(/listed twice/);
    expect(bad({ columns: [{ name: 'a b', type: 'bigint' }], key: ['a b'] })).toMatch(
      /letters, digits and underscores/,
    );
    expect(tableDefinitionSchema.safeParse({ columns: [{ name: 'id', type: 'bigint' }], key: ['id'] }).success).toBe(
      true,
    );
  });
});
