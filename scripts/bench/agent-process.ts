import '#observability/limit-heap'; // first, as in the agent's own entry
import { execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SyncAgent } from '../../apps/agent/src/agent.js';
import { loadAgentConfig } from '../../apps/agent/src/config.js';

/**
 * One agent in its own process, as on a customer's machine (the fairness bench's flood, the initial-load bench): it
 * gets ready (tracking by `rowferry-agent track`, registration), says "ready", waits for a line on stdin, runs one
 * pass (the initial load), and prints how many 429s the API answered it, as JSON. Its own process: its CPU and memory
 * are its own to measure.
 */
// Tracking by the CLI's own command in a process of its own, as a customer runs it: its one large SQLite transaction
// left memory behind that the C library kept, which the agent's `run` process never has.
execFileSync(
  process.execPath,
  [fileURLToPath(new URL('../../../bin/rowferry-agent.js', import.meta.url)), 'track', '--config', process.argv[2]],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
const config = loadAgentConfig(process.argv[2]);
const agent = new SyncAgent(config, () => undefined);
let refusals = 0;
agent.api.http.observe((e) => {
  if (e.status === 429) refusals++;
});
await agent.registerTables();
console.log('ready');
await new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));
const report = await agent.cycle();
await agent.close();
const failed = report.tables.find((t) => 'error' in t);
console.log(JSON.stringify({ refusals, failed: failed ?? null }));
process.exit(0);
