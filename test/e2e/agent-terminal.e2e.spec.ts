import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAgentConfig } from '../../scripts/lib/agent-config.js';
import { createSampleDatabase } from '../../scripts/lib/sample-sqlite.js';
import { enrollDatabase, startStack, type Stack } from '../../scripts/lib/stack.js';
import { AGENT_CLI } from '../support/agent-cli.js';

const cli = AGENT_CLI;

/** `rowferry-agent run` on a terminal (a pseudo-terminal made by util-linux's `script`): a progress bar, long loads. */
describe('the agent at a terminal', () => {
  let stack: Stack;
  let dir: string;
  let config: string;

  beforeAll(async () => {
    stack = await startStack('terminal', 2);
    dir = mkdtempSync(join(tmpdir(), 'rowferry-terminal-'));
    createSampleDatabase(join(dir, 'shop.db'), 150_000);
    config = writeAgentConfig(stack.apiUrl, dir, await enrollDatabase(stack, 'terminal'), {
      source: { type: 'sqlite', path: 'shop.db' },
      tables: [{ name: 'items' }],
      // Small batches and one in flight, so the load lasts long enough to draw.
      batchRows: 2000,
      maxInFlight: 1,
    });
    execFileSync(process.execPath, [cli, 'track', '-c', config]);
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('draws a progress bar with rows/s and the time left while it loads, then logs the pass in plain words', () => {
    const out = execFileSync('script', ['-qec', `${process.execPath} ${cli} run --once -c ${config}`, '/dev/null'], {
      encoding: 'utf8',
      env: { ...process.env, COLUMNS: '100' },
    });
    const frames = out.split('\r').filter((f) => f.startsWith('items  ['));
    expect(frames.length).toBeGreaterThan(0);
    for (const f of frames) {
      expect(f.endsWith('\x1b[K')).toBe(true); // the rest of the line erased
      expect(f.slice(0, -3)).toMatch(/^items {2}\[[#-]+\] +\d+% {2}[\d,]+ rows {2}[\d,]+ rows\/s {2}ETA [\d:?]+$/);
    }
    expect(out).toMatch(/\d\d:\d\d:\d\d items: ahead → equal; uploaded 150000/); // a timed line, not JSON
  });
});
