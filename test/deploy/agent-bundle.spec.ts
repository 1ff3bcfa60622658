import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_CLI } from '../support/agent-cli.js';

/**
 * The agent's CLI is one bundled file (`npm run build`) that a customer's machine starts on every `run --once`: it
 * holds zod's small variant only, and nothing of the server's framework (docs/benchmarks.md, An idle fleet).
 */
describe("the agent's bundled CLI", () => {
  const bundle = readFileSync(fileURLToPath(new URL('../../dist/rowferry-agent.mjs', import.meta.url)), 'utf8');

  it("checks its config with zod's tree-shakable variant, not the full zod the API uses", () => {
    expect(bundle).toContain('$constructor("ZodMiniObject"');
    expect(bundle).not.toContain('$constructor("ZodObject"');
  });

  it('bounds its heap first thing (a module imported for its effect alone, which package.json keeps)', () => {
    const run = spawnSync(process.execPath, [AGENT_CLI, '--help'], {
      encoding: 'utf8',
      env: { ...process.env, HEAP_GROWTH_PERCENT: 'lots' },
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/HEAP_GROWTH_PERCENT/);
  });

  it('holds nothing of NestJS, Swagger, prom-client, BullMQ or the database drivers', () => {
    for (const server of ['@nestjs/', 'swagger-ui', 'prom-client', 'bullmq', 'ioredis'])
      expect({ server, found: bundle.includes(server) }).toEqual({ server, found: false });
    // The drivers stay outside, loaded for the engine the config names.
    for (const driver of ['better-sqlite3', 'pg', 'mysql2'])
      expect({ driver, bundled: bundle.includes(`node_modules/${driver}/`) }).toEqual({ driver, bundled: false });
  });

  it("names each bad field of a config in zod's words, which zod/mini carries only when told", () => {
    const dir = mkdtempSync(join(tmpdir(), 'rowferry-bundle-'));
    try {
      const config = join(dir, 'agent.yaml');
      writeFileSync(
        config,
        'api: { url: "not a url", credentialsFile: c }\nsource: { type: sqlite, path: x }\n' +
          'tables: [{ name: t }]\nbatchRows: 0\n',
      );
      const run = spawnSync(process.execPath, [AGENT_CLI, 'run', '--once', '-c', config], { encoding: 'utf8' });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('api.url: Invalid URL');
      expect(run.stderr).toContain('batchRows: Too small: expected number to be >=1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
