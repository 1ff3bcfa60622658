import type { ColumnType } from './columns.js';
import { canonicalDecimal, canonicalValue, contentCells } from './content.js';
import type { WireValue } from './wire.js';

describe('canonicalValue: one text per value, however an engine wrote it', () => {
  it.each<[ColumnType, WireValue, WireValue]>([
    ['bigint', '42', 42],
    ['bigint', '-9223372036854775808', '-9223372036854775808'],
    ['bigint', '+7', '7'],
    ['numeric', '1.50', '1.5'],
    ['numeric', '1e3', '1000'],
    ['numeric', '15E-1', '1.5'],
    ['numeric', '-0', '0'],
    ['numeric', '-0.000', '0'],
    ['numeric', '.5', '0.5'],
    ['numeric', '007.0100', '7.01'],
    ['numeric', 'nan', 'NaN'],
    ['numeric', '-Infinity', '-inf'],
    ['numeric', 12.5, '12.50'],
    ['double', 0.1, '0.1'],
    ['double', '1e+21', 1e21],
    ['double', 'Infinity', Infinity],
    ['double', 'NaN', 'NaN'],
    ['double', -0, 0],
    ['timestamp', '2024-02-29 12:00:00', '2024-02-29T12:00:00.000000'],
    ['timestamp', '2024-02-29 12:00:00.5', '2024-02-29 12:00:00.500000'],
    ['timestamptz', '2024-02-29 12:00:00+05:30', '2024-02-29 06:30:00+00'],
    ['timestamptz', '2024-02-29 12:00:00+0530', '2024-02-29T06:30:00Z'],
    ['timestamptz', '2024-01-01 00:00:00-08', '2024-01-01 08:00:00'],
    ['timestamptz', '2000-03-01 00:30:00+01', '2000-02-29 23:30:00'],
    ['json', '{"b": 1, "a": [1, 2]}', '{"a":[1,2],"b":1}'],
    ['json', '{"n": 1.0}', '{"n": 1}'],
    ['uuid', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
    ['bytea', 'AAEC', 'AAEC'],
    ['boolean', true, 'true'],
    ['boolean', 't', true],
    ['boolean', false, 'false'],
    // char(n): PostgreSQL sends it padded, MariaDB without its padding; both mean the same, as char compares.
    ['char', 'French              ', 'French'],
    ['char', '   ', ''],
  ])('%s: %j and %j are the same content', (type, a, b) => {
    expect(canonicalValue(type, a)).toBe(canonicalValue(type, b));
  });

  it.each<[ColumnType, WireValue, WireValue]>([
    ['text', 'Alpha', 'alpha'],
    ['text', 'e\u0301', '\u00e9'],
    ['text', '', ' '],
    ['numeric', '1.5', '1.05'],
    ['numeric', '10', '1'],
    ['double', 0.1, 0.1 + 2 ** -55],
    ['timestamp', '2024-02-29 12:00:00', '2024-02-29 12:00:00.000001'],
    ['timestamptz', '2024-02-29 12:00:00+01', '2024-02-29 12:00:00+00'],
    ['json', '[1, 2]', '[2, 1]'],
    ['json', '{"a": "1"}', '{"a": 1}'],
    ['bytea', 'AAEC', 'AAED'],
    ['boolean', true, false],
    ['date', '2024-02-29', '2024-03-01'],
    ['char', ' French', 'French'], // leading blanks count
    ['char', 'French\t', 'French'], // only blanks pad
  ])('%s: %j and %j differ', (type, a, b) => {
    expect(canonicalValue(type, a)).not.toBe(canonicalValue(type, b));
  });

  it('NULL stays apart from every value, the empty string included', () => {
    expect(canonicalValue('text', null)).toBeNull();
    expect(contentCells(['text'], [null])).not.toBe(contentCells(['text'], ['']));
    expect(contentCells(['text'], ['N'])).not.toBe(contentCells(['text'], [null]));
  });

  it('no value runs into the next: cells are length-prefixed', () => {
    expect(contentCells(['text', 'text'], ['a', 'bc'])).not.toBe(contentCells(['text', 'text'], ['ab', 'c']));
    expect(contentCells(['text', 'text'], ['1:a', ''])).not.toBe(contentCells(['text', 'text'], ['', '1:a']));
  });

  it('decimals far from 1 keep every digit', () => {
    expect(canonicalDecimal('1e-5')).toBe('0.00001');
    expect(canonicalDecimal('12345678901234567890.1234567890')).toBe('12345678901234567890.123456789');
    expect(canonicalDecimal('-1.5e2')).toBe('-150');
    expect(canonicalDecimal('not a number')).toBe('not a number');
  });
});
