import Database from 'better-sqlite3';
import { ensureServices } from '../lib/services.js';

/**
 * Runs a scenario with PostgreSQL, Redis and MariaDB up (started privately if they are not), stopping what it started.
 */
export async function withServices(scenario: () => Promise<void>): Promise<void> {
  const services = await ensureServices();
  Object.assign(process.env, services.env);
  try {
    await scenario();
  } finally {
    await services.stop();
  }
}

/** Rows of a typical business table: integer key, text, integer, float, a nullable note. */
export function makeTable(path: string, rows: number): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE bench_rows (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER, price REAL, note TEXT)');
  const insert = db.prepare('INSERT INTO bench_rows VALUES (?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= rows; i++) insert.run(i, `customer name ${i}`, i % 1000, i / 100, i % 3 ? null : `note ${i}`);
  })();
  db.close();
}

export const round = (x: number) => Math.round(x * 1000) / 1000;
