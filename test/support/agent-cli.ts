import { fileURLToPath } from 'node:url';

/** The agent's command line as a customer runs it: the bundled CLI (`npm run build`). */
export const AGENT_CLI = fileURLToPath(new URL('../../bin/rowferry-agent.js', import.meta.url));
