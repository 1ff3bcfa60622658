import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SyncAgent } from '../../apps/agent/src/agent.js';
import { loadAgentConfig } from '../../apps/agent/src/config.js';
import { compareTable } from '../../scripts/lib/compare.js';
import type { Stack } from '../../scripts/lib/stack.js';

export interface Creds {
  customerId: string;
  databaseId: string;
  secret: string;
}

export interface SqliteTable {
  name: string;
  key: string[];
}

/** An agent for a SQLite file in `dir`, configured as a customer would (config and credentials files beside it). */
export function sqliteAgent(
  stack: Stack,
  dir: string,
  file: string,
  creds: Creds,
  tables: SqliteTable[],
  extra: Record<string, unknown> = {},
): SyncAgent {
  writeFileSync(join(dir, 'creds.json'), JSON.stringify(creds));
  const configPath = join(dir, 'agent.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      api: { url: stack.apiUrl, credentialsFile: 'creds.json' },
      source: { type: 'sqlite', path: file },
      tables,
      batchRows: 5000,
      sliceRows: 25000,
      maxInFlight: 4,
      ...extra,
    }),
  );
  return new SyncAgent(loadAgentConfig(configPath), process.env.AGENT_LOG ? (l) => console.log(l) : () => undefined);
}

/** Every column of every row of the tables, local against remote: the differences (empty when equal). */
export async function sqliteDifferences(
  stack: Stack,
  dbPath: string,
  creds: Creds,
  tables: SqliteTable[],
): Promise<string[]> {
  return (
    await Promise.all(tables.map((t) => compareTable(dbPath, stack.databaseUrl, creds.databaseId, t.name, t.key)))
  ).flat();
}

/**
 * Runs passes until remote equals local exactly and a whole difference-check round has run; returns the passes taken.
 */
export async function syncUntilEqual(
  agent: SyncAgent,
  differences: () => Promise<string[]>,
  maxCycles = 12,
): Promise<number> {
  let roundDone = false;
  for (let cycle = 1; cycle <= maxCycles; cycle++) {
    const report = await agent.cycle();
    const failed = report.tables.filter((t) => 'error' in t);
    if (failed.length) throw new Error(`pass failed: ${JSON.stringify(failed)}`);
    roundDone ||= report.tables.every((t) => 'position' in t && t.position === 0n && t.steps.at(-1) === 'equal');
    if (roundDone && (await differences()).length === 0) return cycle;
  }
  throw new Error(`not equal after ${maxCycles} passes: ${(await differences()).slice(0, 5).join('\n')}`);
}
