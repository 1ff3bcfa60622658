import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Marker } from '#sync';

/** What the agent keeps between passes, beside the config: markers it wrote and each table's check position. */
export interface AgentState {
  markers: Marker[];
  positions: Record<string, bigint>;
}

/** Markers kept; a restore to before the oldest one kept is treated as a restore to nothing known. */
const MAX_MARKERS = 10_000;

export function loadState(path: string): AgentState {
  try {
    const raw = JSON.parse(readFileSync(path, 'utf8')) as { markers: { id: string; counter: string }[]; positions: Record<string, string> };
    return {
      markers: raw.markers.map((m) => ({ id: m.id, counter: BigInt(m.counter) })),
      positions: Object.fromEntries(Object.entries(raw.positions).map(([t, p]) => [t, BigInt(p)])),
    };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { markers: [], positions: {} };
    throw new Error(`cannot read agent state ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Written to a temporary file and renamed, so a crash never leaves half a state. */
export function saveState(path: string, state: AgentState): void {
  const markers = state.markers.slice(-MAX_MARKERS).map((m) => ({ id: m.id, counter: m.counter.toString() }));
  const positions = Object.fromEntries(Object.entries(state.positions).map(([t, p]) => [t, p.toString()]));
  writeFileSync(`${path}.tmp`, JSON.stringify({ markers, positions }, null, 2));
  renameSync(`${path}.tmp`, path);
}
