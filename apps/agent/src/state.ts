import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Marker } from '#sync';

/** What the agent keeps between passes, beside the config: markers it wrote and each table's check position. */
export interface AgentState {
  markers: Marker[];
  positions: Record<string, bigint>;
  /** Tables whose rows are being sent again (columns were added), and from which version. */
  resend: Record<string, bigint>;
  /** Tables whose local definition the API refused, with its reason. */
  refusals: Record<string, string>;
}

/** Markers kept; a restore to before the oldest one kept is treated as a restore to nothing known. */
const MAX_MARKERS = 10_000;

export function loadState(path: string): AgentState {
  try {
    const raw = JSON.parse(readFileSync(path, 'utf8')) as {
      markers: { id: string; counter: string }[];
      positions: Record<string, string>;
      resend?: Record<string, string>;
      refusals?: Record<string, string>;
    };
    return {
      markers: raw.markers.map((m) => ({ id: m.id, counter: BigInt(m.counter) })),
      positions: toBigInts(raw.positions),
      resend: toBigInts(raw.resend ?? {}),
      refusals: raw.refusals ?? {},
    };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { markers: [], positions: {}, resend: {}, refusals: {} };
    throw new Error(`cannot read agent state ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Written to a temporary file and renamed, so a crash never leaves half a state. */
export function saveState(path: string, state: AgentState): void {
  const markers = state.markers.slice(-MAX_MARKERS).map((m) => ({ id: m.id, counter: m.counter.toString() }));
  const positions = toStrings(state.positions);
  writeFileSync(`${path}.tmp`, JSON.stringify({ markers, positions, resend: toStrings(state.resend), refusals: state.refusals }, null, 2));
  renameSync(`${path}.tmp`, path);
}

const toBigInts = (r: Record<string, string>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, BigInt(v)]));
const toStrings = (r: Record<string, bigint>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.toString()]));
