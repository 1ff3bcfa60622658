import { mariadbColumn, mariadbToWire } from './mariadb.types.js';

describe('MySQL/MariaDB types onto rowferry types', () => {
  it.each([
    ['tinyint(1)', 'boolean'],
    ['tinyint(4)', 'bigint'],
    ['smallint(6)', 'bigint'],
    ['mediumint(9)', 'bigint'],
    ['int(11)', 'bigint'],
    ['integer', 'bigint'],
    ['bigint(20) unsigned zerofill', 'numeric'],
    ['bigint(20) unsigned', 'numeric'],
    ['bigint unsigned', 'numeric'],
    ['int(10) unsigned', 'bigint'],
    ['bigint(20)', 'bigint'],
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
    ['INT(11)', 'bigint'],
    ['tinyint(1) unsigned', 'bigint'],
    ['inet6', 'text'],
    ['mediumtext', 'text'],
  ])('%s maps to %s', (columnType, type) => {
    expect(mariadbColumn('c', columnType)).toEqual({ column: { name: 'c', type } });
  });

  it.each([
    ['varchar(40)', 'text', 40],
    ['char(3)', 'char', 3],
    ['CHAR(20)', 'char', 20],
  ])('%s keeps its length', (columnType, type, length) => {
    expect(mariadbColumn('c', columnType)).toEqual({ column: { name: 'c', type, length } });
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

describe('MariaDB types PostgreSQL stores otherwise', () => {
  it('BIGINT UNSIGNED is a numeric, but a bigint in a primary key (Laravel, WordPress and SERIAL ids)', () => {
    expect(mariadbColumn('id', 'bigint(20) unsigned', true)).toEqual({ column: { name: 'id', type: 'bigint' } });
    expect(mariadbColumn('n', 'bigint(20) unsigned', false)).toEqual({ column: { name: 'n', type: 'numeric' } });
  });

  it.each([
    ['bit(1)', 'bit(1)', 1],
    ['BIT(10)', 'bit(10)', 10],
    ['bit(64)', 'bit(64)', 64],
  ])('%s is a native %s, read as its %i binary digits', (columnType, native, width) => {
    const c = mariadbColumn('c', columnType);
    expect(c.column).toEqual({ name: 'c', type: 'native', native });
    expect(c.read?.('t.`c`')).toBe(`LPAD(BIN(t.\`c\`), ${width}, '0')`);
  });

  it.each(['point', 'geometry', 'polygon', 'multilinestring', 'geometrycollection'])(
    '%s has no exact remote form: its WKT text, only where the config says so',
    (columnType) => {
      const c = mariadbColumn('c', columnType);
      expect(c).toMatchObject({ column: { name: 'c', type: 'text' }, textOnly: columnType });
      expect(c.read?.('t.`c`')).toBe('ST_AsText(t.`c`)');
    },
  );

  it.each(['tostring', 'vector(3)', 'row'])(
    'an unknown type %s is text only where the config says so',
    (columnType) => {
      expect(mariadbColumn('c', columnType)).toEqual({ column: { name: 'c', type: 'text' }, textOnly: columnType });
    },
  );
});
