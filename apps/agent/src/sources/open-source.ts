import type { AgentConfig } from '../config.js';
import { MariadbSource } from './mariadb/mariadb.source.js';
import { PostgresSource } from './postgres/postgres.source.js';
import type { Source } from './source.js';
import { SqliteSource } from './sqlite/sqlite.source.js';

/** The source adapter the config names. */
export function openSource(source: AgentConfig['source']): Source {
  switch (source.type) {
    case 'sqlite':
      return new SqliteSource(source.path, source.versionColumn);
    case 'postgres':
      return new PostgresSource(source.url, source.schema, source.versionColumn);
    case 'mariadb':
    case 'mysql':
      return new MariadbSource(source.url.replace(/^mariadb:/, 'mysql:'), source.versionColumn);
  }
}
