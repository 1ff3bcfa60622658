import { unsupportedServer } from './mariadb.server.js';

describe('unsupportedServer', () => {
  it.each(['10.3.39-MariaDB', '10.11.19-MariaDB-0+deb12u1', '11.4.2-MariaDB-log', '5.5.5-10.11.6-MariaDB'])(
    'tracks %s',
    (version) => expect(unsupportedServer(version)).toBeUndefined(),
  );

  it.each([
    ['8.0.36', /MySQL 8\.0\.36: .*MySQL is not supported/],
    ['8.4.0-commercial', /MySQL is not supported/],
    ['5.7.44-log', /MySQL is not supported/],
    ['10.2.44-MariaDB', /needs sequences, which MariaDB has from 10\.3/],
    ['5.5.68-MariaDB', /from 10\.3/],
  ])('refuses %s, saying why', (version, why) => expect(unsupportedServer(version)).toMatch(why));
});
