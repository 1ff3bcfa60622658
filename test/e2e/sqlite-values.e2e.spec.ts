import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SyncAgent } from '../../apps/agent/src/agent.js';
import { compareTable } from '../../scripts/lib/compare.js';
import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';
import { configuredAgent } from '../../scripts/lib/agent-config.js';

/** The round-trip matrix for SQLite: every value arrives exactly as it left. */
describe('SQLite values round trip', () => {
  let stack: Stack;
  let dir: string;
  let agent: SyncAgent;
  let creds: { customerId: string; databaseId: string; secret: string };

  beforeAll(async () => {
    stack = await startStack('sqlitevalues', 1);
    dir = mkdtempSync(join(tmpdir(), 'rowferry-values-'));
    const db = new Database(join(dir, 'v.db'));
    db.exec(
      `CREATE TABLE vals (id INTEGER PRIMARY KEY, big INTEGER, r REAL, t TEXT, b BLOB, flag BOOLEAN, day DATE, u UUID, doc JSON, ts DATETIME, code VARCHAR(4))`,
    );
    const insert = db.prepare('INSERT INTO vals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    insert.run(
      1,
      9223372036854775807n,
      Infinity,
      'emoji 😀 and e\u0301',
      all,
      1,
      '1969-07-20',
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      '{"a": [1, 2.5]}',
      '2024-01-01 10:00:00.123456',
      'abcd',
    );
    insert.run(
      2,
      -9223372036854775808n,
      -Infinity,
      '',
      Buffer.alloc(0),
      0,
      '0001-01-01',
      '00000000-0000-0000-0000-000000000000',
      '[]',
      '2024-01-01T10:00:00Z',
      '',
    );
    insert.run(3, null, null, null, null, null, null, null, null, null, null);
    insert.run(
      4,
      0,
      0.1,
      'a"b\\c\ttab',
      Buffer.from([0]),
      1,
      '2024-02-29',
      'ffffffff-ffff-ffff-ffff-ffffffffffff',
      'null',
      'any text',
      'ß',
    );
    insert.run(
      5,
      1,
      5e-324,
      'x'.repeat(10000),
      Buffer.alloc(100000, 7),
      0,
      '9999-12-31',
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12',
      '"s"',
      '',
      'z',
    );
    db.close();
    creds = await enrollDatabase(stack, 'values');
    agent = configuredAgent(stack, dir, creds, {
      source: { type: 'sqlite', path: 'v.db' },
      tables: [{ name: 'vals' }],
    });
    await agent.source.installTracking([{ name: 'vals' }]);
  });

  afterAll(async () => {
    await agent?.close();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('int64 min/max, float specials, text with emoji and combining characters, every byte, booleans, dates, UUIDs, JSON, empty vs NULL', async () => {
    await agent.cycle();
    await agent.cycle();
    expect(await compareTable(join(dir, 'v.db'), stack.databaseUrl, creds.databaseId, 'vals', ['id'])).toEqual([]);
  });
});
