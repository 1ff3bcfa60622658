import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SyncAgent } from '../../apps/agent/src/agent.js';
import { loadAgentConfig, type Credentials } from '../../apps/agent/src/config.js';

export type { Credentials };

/**
 * Writes an agent's credentials and config into `dir` as a customer would (`creds.json`, `agent.json`; paths in the
 * settings are relative to `dir`), pointing at the API at `apiUrl`. Returns the config's path.
 */
export function writeAgentConfig(apiUrl: string, dir: string, creds: Credentials, settings: Record<string, unknown>) {
  writeFileSync(join(dir, 'creds.json'), JSON.stringify(creds));
  const path = join(dir, 'agent.json');
  writeFileSync(path, JSON.stringify({ api: { url: apiUrl, credentialsFile: 'creds.json' }, ...settings }));
  return path;
}

/** An agent configured by files as a customer would, quiet unless AGENT_LOG is set. */
export function configuredAgent(
  stack: { apiUrl: string },
  dir: string,
  creds: Credentials,
  settings: Record<string, unknown>,
): SyncAgent {
  const log = process.env.AGENT_LOG ? (line: string) => console.log(line) : () => undefined;
  return new SyncAgent(loadAgentConfig(writeAgentConfig(stack.apiUrl, dir, creds, settings)), log);
}
