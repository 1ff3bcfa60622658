/**
 * Why the agent cannot track this server, from what `SELECT VERSION()` answers; undefined when it can. Tracking takes
 * its versions from a SEQUENCE, which MariaDB has from 10.3 and MySQL does not have at all (docs/sources.md, MariaDB).
 */
export function unsupportedServer(version: string): string | undefined {
  // Through some proxies MariaDB answers behind MySQL 5.5.5's number.
  const maria = /^(\d+)\.(\d+)\.\d+.*-MariaDB/i.exec(version.replace(/^5\.5\.5-/, ''));
  if (!maria)
    return `the server is MySQL ${version}: rowferry's tracking uses MariaDB's sequences, which MySQL does not have; MySQL is not supported (docs/sources.md)`;
  const [major, minor] = [Number(maria[1]), Number(maria[2])];
  if (major < 10 || (major === 10 && minor < 3))
    return `the server is MariaDB ${version}: rowferry's tracking needs sequences, which MariaDB has from 10.3`;
  return undefined;
}
