import { postgresColumn, postgresToWire } from './postgres.types.js';

describe('PostgreSQL types onto rowferry types', () => {
  it.each([
    ['smallint', 'bigint'],
    ['integer', 'bigint'],
    ['bigint', 'bigint'],
    ['real', 'double'],
    ['double precision', 'double'],
    ['numeric', 'numeric'],
    ['numeric(12,2)', 'numeric'],
    ['bytea', 'bytea'],
    ['boolean', 'boolean'],
    ['date', 'date'],
    ['timestamp without time zone', 'timestamp'],
    ['timestamp(3) without time zone', 'timestamp'],
    ['timestamp with time zone', 'timestamptz'],
    ['timestamp(6) with time zone', 'timestamptz'],
    ['json', 'json'],
    ['jsonb', 'json'],
    ['uuid', 'uuid'],
    ['text', 'text'],
    ['character varying', 'text'],
    ['Integer', 'bigint'],
  ])('%s maps to %s', (formatted, type) => {
    expect(postgresColumn('c', formatted)).toEqual({ column: { name: 'c', type } });
  });

  it.each([
    ['character varying(40)', 'text', 40],
    ['character(3)', 'char', 3],
    ['character(1)', 'char', 1],
  ])('%s keeps its length', (formatted, type, length) => {
    expect(postgresColumn('c', formatted)).toEqual({ column: { name: 'c', type, length } });
  });

  it('an unbounded bpchar is a char without a length', () => {
    expect(postgresColumn('c', 'bpchar')).toEqual({ column: { name: 'c', type: 'char' } });
  });

  it.each([
    'interval',
    'interval(3)',
    'interval year to month',
    'time without time zone',
    'time(3) without time zone',
    'time with time zone',
    'inet',
    'cidr',
    'macaddr',
    'macaddr8',
    'bit(5)',
    'bit varying(5)',
    'bit varying',
    'tsvector',
    'tsquery',
    'xml',
    'point',
    'circle',
    'int4range',
    'tstzrange',
    'datemultirange',
    'integer[]',
    'numeric(5,2)[]',
    'character varying(20)[]',
    'timestamp(3) with time zone[]',
    'text[]',
    'jsonb[]',
    'tsvector[]',
    'inet[]',
  ])('%s is stored as itself', (formatted) => {
    expect(postgresColumn('c', formatted)).toEqual({ column: { name: 'c', type: 'native', native: formatted } });
  });

  it('an enum is its label, text; an array of one an array of text', () => {
    expect(postgresColumn('c', 'mood', 'e')).toEqual({ column: { name: 'c', type: 'text' } });
    expect(postgresColumn('c', 'mood[]', 'b', 'e')).toEqual({
      column: { name: 'c', type: 'native', native: 'text[]' },
    });
  });

  it("a user's type named as a built-in one is not taken for it", () => {
    expect(postgresColumn('c', 'point', 'b', undefined, false)).toEqual({
      column: { name: 'c', type: 'text' },
      textOnly: 'point',
    });
    expect(postgresColumn('c', 'uuid', 'b', undefined, false)).toMatchObject({ textOnly: 'uuid' });
  });

  it('money is its amount, read as numeric (its text follows lc_monetary)', () => {
    const c = postgresColumn('c', 'money');
    expect(c.column).toEqual({ name: 'c', type: 'numeric' });
    expect(c.read?.('t."c"')).toBe('t."c"::numeric');
  });

  it.each([
    ['address', 'c'],
    ['citext', 'b'],
    ['hstore', 'b'],
    ['geometry(Point,4326)', 'b'],
    ['floatrange', 'r'],
    ['oid', 'b'],
    ['USER-DEFINED', 'b'],
    ['constructor', 'b'],
    ['address[]', 'b'],
    ['time', 'b'],
    ['point', 'c'], // a composite of the user's that shadows the built-in name
  ] as const)('%s (typtype %s) has no exact remote form: text only where the config says so', (formatted, kind) => {
    expect(postgresColumn('c', formatted, kind)).toEqual({ column: { name: 'c', type: 'text' }, textOnly: formatted });
  });

  it.each([
    ['text', null, null],
    ['bytea', Buffer.from([0, 255]), 'AP8='],
    ['boolean', true, true],
    ['double', '0.1', 0.1],
    ['double', 'Infinity', 'Infinity'],
    ['double', 'NaN', 'NaN'],
    ['bigint', '9223372036854775807', '9223372036854775807'],
    ['timestamptz', '2024-01-02 03:04:05+00', '2024-01-02 03:04:05+00'],
  ] as const)('a %s value %j travels as %j', (type, value, wire) => {
    expect(postgresToWire(type, value)).toEqual(wire);
  });
});
