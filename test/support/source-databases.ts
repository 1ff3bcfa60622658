import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { quoteIdent } from '#contracts';
import { databaseUrl } from '#persistence';

/** A source database of the test's own for an agent to read, on one of the shared servers; `drop` removes it. */
export interface SourceDatabase {
  url: string;
  drop(): Promise<void>;
}

const MARIADB = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';

async function onPostgres(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: databaseUrl().replace(/\/[^/]*$/, '/postgres') });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

async function onMariadb(sql: string): Promise<void> {
  const admin = await mysql.createConnection(MARIADB);
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** A new PostgreSQL database beside the test's cloud database. */
export async function postgresSource(prefix: string): Promise<SourceDatabase> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await onPostgres(`CREATE DATABASE ${quoteIdent(name)}`);
  return {
    url: databaseUrl().replace(/\/[^/]*$/, `/${name}`),
    drop: () => onPostgres(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`),
  };
}

/** A new MariaDB database (utf8mb4) on the MariaDB server. */
export async function mariadbSource(prefix: string): Promise<SourceDatabase> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await onMariadb(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  return { url: `${MARIADB}/${name}`, drop: () => onMariadb(`DROP DATABASE IF EXISTS \`${name}\``) };
}
