import Database from 'better-sqlite3';

/** The sample database's tables and their keys (createSampleDatabase). */
export const SAMPLE_TABLES: { name: string; key: string[] }[] = [
  { name: 'items', key: ['id'] },
  { name: 'order_lines', key: ['order_id', 'line'] },
  { name: 'tags', key: ['code'] },
];

/**
 * A sample shop database: an integer-keyed table with every SQLite storage class, a composite-key table and a
 * text-keyed table with mixed case and non-ASCII keys. Shared by the end-to-end tests, the demo and the bench.
 */
export function createSampleDatabase(path: string, items: number): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price NUMERIC, qty INTEGER, ratio REAL, photo BLOB, note TEXT);
    CREATE TABLE order_lines (order_id INTEGER NOT NULL, line INTEGER NOT NULL, sku TEXT, amount INTEGER, PRIMARY KEY (order_id, line));
    CREATE TABLE tags (code TEXT PRIMARY KEY, label TEXT);
  `);
  const item = db.prepare('INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?)');
  const line = db.prepare('INSERT INTO order_lines VALUES (?, ?, ?, ?)');
  const tag = db.prepare('INSERT INTO tags VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= items; i++) {
      item.run(
        i,
        `item ${i}`,
        (i % 1000) / 100,
        i % 7 === 0 ? null : i * 3,
        i / 7,
        i % 5 === 0 ? Buffer.from([i & 255, 0, 255, (i >> 8) & 255]) : null,
        i % 11 === 0 ? '' : null,
      );
      if (i <= items / 10) for (let l = 1; l <= 3; l++) line.run(i, l, `SKU-${i}-${l}`, l * i);
    }
    for (const code of [
      'Alpha',
      'alpha',
      'ALPHA',
      'Zürich',
      'zürich',
      '東京',
      'emoji 😀',
      'a,b',
      'a"b',
      "o'brien",
      'x'.repeat(300),
    ])
      tag.run(code, `label ${code}`);
    for (let i = 0; i < 1000; i++) tag.run(`tag-${i.toString(36)}`, i % 2 ? null : `l${i}`);
  })();
  db.close();
}
