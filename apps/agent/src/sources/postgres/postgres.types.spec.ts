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
    ['time without time zone', 'text'],
    ['interval', 'text'],
    ['inet', 'text'],
    ['integer[]', 'text'],
    ['USER-DEFINED', 'text'],
    ['Integer', 'bigint'],
    ['numeric[]', 'text'],
    ['time(3) without time zone', 'text'],
    ['bit varying(5)', 'text'],
    ['constructor', 'text'],
  ])('%s maps to %s', (formatted, type) => {
    expect(postgresColumn('c', formatted)).toEqual({ name: 'c', type });
  });

  it.each([
    ['character varying(40)', 'text', 40],
    ['character(3)', 'char', 3],
    ['character(1)', 'char', 1],
  ])('%s keeps its length', (formatted, type, length) => {
    expect(postgresColumn('c', formatted)).toEqual({ name: 'c', type, length });
  });

  it('an unbounded bpchar is a char without a length', () => {
    expect(postgresColumn('c', 'bpchar')).toEqual({ name: 'c', type: 'char' });
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
