import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CycleReport, SyncAgent } from '../../apps/agent/src/agent.js';
import { toWireRange, type VersionRange } from '#contracts';
import type { Source, SourceTable } from '../../apps/agent/src/sources/source.js';
import { TrackedSource } from '../../apps/agent/src/sources/tracked-source.js';
import { configuredAgent, type Credentials } from '../../scripts/lib/agent-config.js';
import { compareTable } from '../../scripts/lib/compare.js';
import { createSampleDatabase } from '../../scripts/lib/sample-sqlite.js';
import { enrollDatabase, type Stack } from '../../scripts/lib/stack.js';

export interface SqliteTable {
  name: string;
  key: string[];
}

/** An agent for a SQLite file in `dir`, configured as a customer would (config and credentials files beside it). */
export function sqliteAgent(
  stack: Stack,
  dir: string,
  file: string,
  creds: Credentials,
  tables: SqliteTable[],
  extra: Record<string, unknown> = {},
): SyncAgent {
  return configuredAgent(stack, dir, creds, {
    source: { type: 'sqlite', path: file },
    tables,
    batchRows: 5000,
    sliceRows: 25000,
    maxInFlight: 4,
    ...extra,
  });
}

/** Every column of every row of the tables, local against remote: the differences (empty when equal). */
export async function sqliteDifferences(
  stack: Stack,
  dbPath: string,
  creds: Credentials,
  tables: SqliteTable[],
): Promise<string[]> {
  return (
    await Promise.all(tables.map((t) => compareTable(dbPath, stack.databaseUrl, creds.databaseId, t.name, t.key)))
  ).flat();
}

/**
 * Whether each table's difference check has settled, pass by pass (docs/difference-check.md, Schedule): a table is
 * settled once a round it ran reached the table's end having repaired nothing, or once a pass had no check due (no
 * round is then urgent: the last one found nothing).
 */
function settledTables() {
  const found = new Map<string, number>();
  const settled = new Set<string>();
  return (report: CycleReport): boolean => {
    for (const t of report.tables) {
      if ('error' in t) throw new Error(`pass failed: ${JSON.stringify(t)}`);
      if (t.steps.at(-1) !== 'equal') settled.delete(t.table);
      else if (!t.sliced) settled.add(t.table);
      else {
        const inRound = (found.get(t.table) ?? 0) + t.found;
        found.set(t.table, t.position === 0n ? 0 : inRound);
        if (t.position === 0n && inRound === 0) settled.add(t.table);
        else settled.delete(t.table);
      }
    }
    return report.tables.every((t) => settled.has(t.table));
  };
}

/**
 * Runs passes until remote equals local exactly and every table's difference check has settled; returns the passes
 * taken.
 */
export async function syncUntilEqual(
  agent: SyncAgent,
  differences: () => Promise<string[]>,
  maxCycles = 12,
): Promise<number> {
  const settled = settledTables();
  for (let cycle = 1; cycle <= maxCycles; cycle++) {
    if (settled(await agent.cycle()) && (await differences()).length === 0) return cycle;
  }
  throw new Error(`not equal after ${maxCycles} passes: ${(await differences()).slice(0, 5).join('\n')}`);
}

/** One cycle of the agent, which must not fail, and its report of the first table. */
export async function passOverFirstTable(agent: SyncAgent) {
  const r = await agent.cycle();
  const failed = r.tables.filter((t) => 'error' in t);
  if (failed.length) throw new Error(JSON.stringify(failed));
  return r.tables[0] as Exclude<(typeof r.tables)[0], { error: string }>;
}

/** Ranges spread through a table (and one past its end), to compare its digests over. */
async function rangesThrough(source: Source, table: SourceTable): Promise<VersionRange[]> {
  const max = await source.localMax(table);
  const first = (await source.versionAt(table, 0n, 1))!;
  return [
    { after: 0n, upTo: first + 300n },
    { after: first + 300n, upTo: max - 10n },
    { after: max - 10n, upTo: max },
    { after: max, upTo: max + 100n },
  ];
}

/**
 * A table's digests over ranges spread through it, as the source computes them (in SQL on the server engines) and by
 * the agent-side formula over the rows it reads: the two must be equal.
 */
export async function digestsBothWays(source: Source, tableName: string) {
  const table = await source.describe({ name: tableName });
  const ranges = await rangesThrough(source, table);
  return {
    inSource: await source.digests(table, ranges),
    byFormula: await TrackedSource.prototype.digests.call(source as TrackedSource<unknown>, table, ranges),
  };
}

/**
 * A synced table's digests (by content or by keys) over ranges spread through it, as the source computes them and
 * as the worker does, by the hash the source says: the two must be equal.
 */
export async function digestsOnBothSides(agent: SyncAgent, tableName: string, content: boolean) {
  const table = await agent.source.describe({ name: tableName });
  const ranges = await rangesThrough(agent.source, table);
  const hash = agent.source.digestHash(table, content);
  const job = await agent.api.rangeHash(table.name, {
    ranges: ranges.map(toWireRange),
    hash,
    ...(content ? { columns: table.columns.map((c) => c.name) } : {}),
  });
  const remote = (await agent.api.waitForJob(job)).digests.map((d) => ({ count: d.count, sum: BigInt(d.sum) }));
  const local = content ? await agent.source.contentDigests(table, ranges) : await agent.source.digests(table, ranges);
  return { hash, local, remote };
}

/** A sample SQLite database (scripts/lib/sample-sqlite) of `rows` items, enrolled, tracked, with its agent. */
export interface SampleSource {
  agent: SyncAgent;
  dir: string;
  dbPath: string;
  creds: Credentials;
  /** A new agent for the same database, as after its process restarted (close the old one first). */
  reopen(): SyncAgent;
  /** Every column of every row of the tables, local against remote: the differences (empty when equal). */
  differences(): Promise<string[]>;
  /** Closes the agent and removes the files. */
  close(): Promise<void>;
}

export async function sampleSource(
  stack: Stack,
  name: string,
  rows: number,
  tables: SqliteTable[],
  extra: Record<string, unknown> = {},
): Promise<SampleSource> {
  const dir = mkdtempSync(join(tmpdir(), `rowferry-${name}-`));
  const dbPath = join(dir, 'shop.db');
  createSampleDatabase(dbPath, rows);
  const creds = await enrollDatabase(stack, name);
  const source: SampleSource = {
    agent: sqliteAgent(stack, dir, 'shop.db', creds, tables, extra),
    dir,
    dbPath,
    creds,
    reopen: () => (source.agent = sqliteAgent(stack, dir, 'shop.db', creds, tables, extra)),
    differences: () => sqliteDifferences(stack, dbPath, creds, tables),
    close: async () => {
      await source.agent.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await source.agent.source.installTracking(tables);
  return source;
}

/** Passes until every table is equal by versions and its difference check has settled; a failed pass fails it. */
export async function syncRound(agent: SyncAgent, maxPasses = 10): Promise<void> {
  const settled = settledTables();
  for (let i = 0; i < maxPasses; i++) if (settled(await agent.cycle())) return;
  throw new Error(`the difference check did not settle in ${maxPasses} passes`);
}
