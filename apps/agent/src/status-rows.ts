import { roundDueAt } from '#sync';
import type { ApiClient } from './api-client.js';
import type { AgentConfig } from './config.js';
import type { Source } from './sources/source.js';
import { loadState } from './state.js';
import { tableStatus, type StatusRow } from './status.js';

/**
 * `rowferry-agent status`: each configured table's state, read now from the local database (versions and counts),
 * the API (the remote's version info) and the agent's state file (refusals, check rounds, last passes).
 */
export async function statusRows(config: AgentConfig, source: Source, api: ApiClient): Promise<StatusRow[]> {
  const remote = new Map((await api.allVersionInfo()).map((i) => [i.table, i]));
  const { refusals, rounds, passes, checks } = loadState(config.stateFile);
  const now = Date.now();
  const rows: StatusRow[] = [];
  for (const t of config.tables) {
    const table = await source.describe(t);
    const r = remote.get(t.name);
    const localMax = await source.localMax(table);
    const behind = r ? localMax - BigInt(r.appliedThrough) : localMax;
    const counts = { rows: await source.count(table), unversioned: await source.unversioned(table) };
    // No schedule (a state file from before it): no round is known to have gone round since.
    const checked = checks[t.name] ? rounds[t.name] : undefined;
    const state = tableStatus({ localMax, remote: r, refusal: refusals[t.name], rounds: checked, counts });
    const pass = passes[t.name];
    rows.push({
      table: t.name,
      ...state,
      localVersion: localMax.toString(),
      remoteVersion: r?.maxVersion ?? null,
      behindVersions: (behind > 0n ? behind : 0n).toString(),
      laggingSince: state.state === 'equal' ? null : (pass?.lastEqualAt ?? null),
      localRows: counts.rows,
      unversionedRows: counts.unversioned,
      remoteRows: r?.rowCount ?? null,
      quarantined: r?.quarantined ?? 0,
      lastPass: pass ?? null,
      lastCheckRepaired: rounds[t.name]?.lastRound ?? null,
      lastFullCheckAt: iso(checks[t.name]?.lastRoundAt),
      nextFullCheckBy: checks[t.name]
        ? iso(roundDueAt(checks[t.name], { everyMs: config.verifyEvery * 1000 }, now))
        : iso(now),
    });
  }
  return rows;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
