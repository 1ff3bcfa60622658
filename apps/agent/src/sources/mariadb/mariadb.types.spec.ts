import { bitWidth, mariadbColumn, mariadbToWire } from './mariadb.types.js';

describe('MySQL/MariaDB types onto rowferry types', () => {
  it.each([
    ['tinyint(1)', 'boolean'],
    ['tinyint(4)', 'bigint'],
    ['smallint(6)', 'bigint'],
    ['mediumint(9)', 'bigint'],
    ['int(11)', 'bigint'],
    ['int(10) unsigned', 'bigint'],
    ['integer', 'bigint'],
    ['bigint(20) unsigned zerofill', 'bigint'],
    ['year(4)', 'bigint'],
    ['decimal(10,2)', 'numeric'],
    ['numeric(5,0)', 'numeric'],
    ['float', 'double'],
    ['double', 'double'],
    ['real', 'double'],
    ['binary(16)', 'bytea'],
    ['varbinary(255)', 'bytea'],
    ['tinyblob', 'bytea'],
    ['blob', 'bytea'],
    ['mediumblob', 'bytea'],
    ['longblob', 'bytea'],
    ['date', 'date'],
    ['datetime', 'timestamp'],
    ['datetime(6)', 'timestamp'],
    ['timestamp', 'timestamptz'],
    ['timestamp(3)', 'timestamptz'],
    ['json', 'json'],
    ['uuid', 'uuid'],
    ['text', 'text'],
    ['longtext', 'text'],
    ["enum('a','b')", 'text'],
    ["set('x','y')", 'text'],
    ['time', 'text'],
    ['bit(1)', 'text'],
    ['bit(10)', 'text'],
    ['INT(11)', 'bigint'],
    ['tinyint(1) unsigned', 'bigint'],
    ['tostring', 'text'],
  ])('%s maps to %s', (columnType, type) => {
    expect(mariadbColumn('c', columnType)).toEqual({ name: 'c', type });
  });

  it.each([
    ['varchar(40)', 'text', 40],
    ['char(3)', 'char', 3],
    ['CHAR(20)', 'char', 20],
  ])('%s keeps its length', (columnType, type, length) => {
    expect(mariadbColumn('c', columnType)).toEqual({ name: 'c', type, length });
  });

  it.each([
    ['text', null, null],
    ['bytea', Buffer.from([0, 255]), 'AP8='],
    ['text', Buffer.from('héllo'), 'héllo'],
    ['boolean', '1', true],
    ['boolean', 0, false],
    ['boolean', '2', '2'],
    ['double', '0.1', 0.1],
    ['double', 'inf', 'inf'],
    ['bigint', 42, '42'],
    ['timestamptz', '2024-01-02 03:04:05.000000', '2024-01-02 03:04:05.000000+00'],
    ['timestamp', '2024-01-02 03:04:05', '2024-01-02 03:04:05'],
  ] as const)('a %s value %j travels as %j', (type, value, wire) => {
    expect(mariadbToWire(type, value)).toEqual(wire);
  });
});

describe('bitWidth', () => {
  it.each([
    ['bit(1)', 1],
    ['BIT(10)', 10],
    ['bit(64)', 64],
    ['binary(8)', undefined],
    ['tinyint(1)', undefined],
  ])('%s: %s', (columnType, width) => expect(bitWidth(columnType)).toBe(width));
});
