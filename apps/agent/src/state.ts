import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { CheckSchedule } from '#sync';
import type { CheckRounds, LastPass } from './status.js';

/**
 * What the agent keeps between passes, beside the config. Only a cache: a restore can roll it back or lose it, so
 * nothing correctness depends on lives here (restore markers are kept by the server, docs/sync-model.md, Restores).
 */
export interface AgentState {
  /** Where each table's difference check continues. */
  positions: Record<string, bigint>;
  /** Tables whose local definition the API refused, with its reason. */
  refusals: Record<string, string>;
  /** What each table's difference check found lately, for `status`. */
  rounds: Record<string, CheckRounds>;
  /** Per table, the content rounds of the difference check (docs/difference-check.md, Content). */
  content: Record<string, ContentRounds>;
  /** Per table, how its last pass went, for `status`. */
  passes: Record<string, LastPass>;
  /** Per table, when its difference check runs (docs/difference-check.md, Schedule); a table without one is suspect. */
  checks: Record<string, CheckSchedule>;
}

export interface ContentRounds {
  /** When the last content round finished (or the table was first seen), ISO time. */
  lastDone: string;
  /** A content round is under way. */
  running: boolean;
}

export function loadState(path: string): AgentState {
  try {
    const raw = JSON.parse(readFileSync(path, 'utf8')) as {
      positions?: Record<string, string>;
      refusals?: Record<string, string>;
      rounds?: Record<string, CheckRounds>;
      content?: Record<string, ContentRounds>;
      passes?: Record<string, LastPass>;
      checks?: Record<string, CheckSchedule>;
    };
    return {
      positions: toBigInts(raw.positions ?? {}),
      refusals: raw.refusals ?? {},
      rounds: raw.rounds ?? {},
      content: raw.content ?? {},
      passes: raw.passes ?? {},
      checks: raw.checks ?? {},
    };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      return { positions: {}, refusals: {}, rounds: {}, content: {}, passes: {}, checks: {} };
    throw new Error(`cannot read agent state ${path}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

/** Written to a temporary file and renamed, so a crash never leaves half a state. */
export function saveState(path: string, state: AgentState): void {
  writeFileSync(
    `${path}.tmp`,
    JSON.stringify(
      {
        positions: toStrings(state.positions),
        refusals: state.refusals,
        rounds: state.rounds,
        content: state.content,
        passes: state.passes,
        checks: state.checks,
      },
      null,
      2,
    ),
  );
  renameSync(`${path}.tmp`, path);
}

const toBigInts = (r: Record<string, string>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, BigInt(v)]));
const toStrings = (r: Record<string, bigint>) =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.toString()]));
