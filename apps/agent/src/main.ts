// First, before the agent's modules load. Imported for its effect alone: package.json's sideEffects lists it, or the
// bundle would drop it.
import '#observability/limit-heap';
import { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { SyncAgent } from './agent.js';
import { ApiClient, sleep } from './api-client.js';
import { loadAgentConfig, loadCredentials, remoteNames } from './config.js';
import { openSource } from './sources/open-source.js';
import { renderStatus } from './status.js';
import { statusRows } from './status-rows.js';
import { createLogger } from '#observability/logger';
import { ProgressBar } from './progress.js';

const program = new Command('rowferry-agent').description(
  'Keeps a copy of local tables in the rowferry cloud PostgreSQL.',
);
const configOption = ['-c, --config <file>', 'agent config (YAML or JSON)', 'rowferry-agent.yaml'] as const;

program
  .command('register')
  .description('register this database with the API; writes the credentials file (the secret is shown only this once)')
  .option(...configOption)
  .requiredOption('--customer <id>', 'customer id')
  .option('--enrollment-key <key>', 'the customer enrollment key (or ROWFERRY_ENROLLMENT_KEY)')
  .option('--name <name>', 'a name for this database', hostname())
  .action(async (o) => {
    const config = loadAgentConfig(o.config);
    const key = o.enrollmentKey ?? process.env.ROWFERRY_ENROLLMENT_KEY;
    if (!key) throw new Error('give --enrollment-key or set ROWFERRY_ENROLLMENT_KEY');
    const creds = await new ApiClient(config.api.url).registerDatabase(o.customer, key, o.name);
    writeFileSync(config.api.credentialsFile, JSON.stringify(creds, null, 2), { mode: 0o600 });
    console.log(`registered database ${creds.databaseId}; credentials written to ${config.api.credentialsFile}`);
  });

program
  .command('track')
  .description('install version tracking in the local database (a version column kept by triggers from one counter)')
  .option(...configOption)
  .option('--side-table', "keep versions in side tables, leaving the application's tables untouched (all tables)")
  .action(async (o) => {
    const config = loadAgentConfig(o.config);
    const source = openSource(config.source);
    try {
      const tables = config.tables.map((t) => ({ ...t, sideTable: Boolean(o.sideTable) || t.sideTable }));
      for (const line of await source.installTracking(tables)) console.log(line);
    } finally {
      await source.close();
    }
  });

program
  .command('run')
  .description('sync every interval until stopped (SIGINT/SIGTERM finish the current pass first)')
  .option(...configOption)
  .option('--once', 'run one pass per table and exit (non-zero if a table failed)')
  .action(async (o) => {
    const config = loadAgentConfig(o.config);
    const out = runOutput();
    const agent = new SyncAgent(config, out.log, out.progress);
    let stopping = false;
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => (stopping = true));
    try {
      do {
        try {
          const report = await agent.cycle();
          if (o.once && report.tables.some((t) => 'error' in t)) process.exitCode = 1;
        } catch (err) {
          // The API may be down for a while: log and try again next interval, never crash.
          out.error(`cycle failed: ${err instanceof Error ? err.message : String(err)}`);
          if (o.once) process.exitCode = 1;
        }
        for (let waited = 0; !o.once && !stopping && waited < config.intervalSeconds * 1000; waited += 200)
          await sleep(200);
      } while (!o.once && !stopping);
    } finally {
      await agent.close();
    }
  });

program
  .command('verify')
  .description(
    'check every row now, from the start of each table, and repair what differs (by keys and versions, or --content)',
  )
  .option(...configOption)
  .option('--content', 'compare every column of every row, not only keys and versions')
  .option('--table <name>', 'only this table')
  .action(async (o) => {
    const config = loadAgentConfig(o.config);
    const agent = new SyncAgent(config, () => undefined);
    try {
      const results = await agent.verify({ content: Boolean(o.content), tables: o.table ? [o.table] : undefined });
      for (const [table, r] of results) {
        const by = o.content ? 'content' : 'keys and versions';
        console.log(`${table}: verified by ${by} in ${r.passes} pass(es); ${r.verdict}`);
        if (!r.equal) process.exitCode = 1;
      }
    } finally {
      await agent.close();
    }
  });

program
  .command('status')
  .description(
    'per table: state, how far the cloud lags (versions and time), rows, quarantine, last pass, last check round',
  )
  .option(...configOption)
  .option('--json', 'one JSON array for scripts, every field included')
  .action(async (o) => {
    const config = loadAgentConfig(o.config);
    const source = openSource(config.source);
    const api = new ApiClient(config.api.url, loadCredentials(config), undefined, remoteNames(config));
    const rows = await statusRows(config, source, api);
    await source.close();
    console.log(o.json ? JSON.stringify(rows, null, 2) : renderStatus(rows, new Date(), process.stdout.columns || 100));
  });

/**
 * What `run` prints: on a terminal, timed lines and a progress bar for long uploads; otherwise (a service, a pipe)
 * JSON lines, one per event, for a log collector.
 */
function runOutput(): { log: (line: string) => void; error: (line: string) => void; progress?: ProgressBar['update'] } {
  if (process.stdout.isTTY) {
    const bar = new ProgressBar(process.stdout);
    const time = () => new Date().toLocaleTimeString('en-GB');
    return {
      log: (line) => (bar.clear(), console.log(`${time()} ${line}`)),
      error: (line) => (bar.clear(), console.error(`${time()} ${line}`)),
      progress: bar.update,
    };
  }
  const logger = createLogger('rowferry-agent');
  return { log: (line) => logger.info(line), error: (line) => logger.error(line) };
}

program.parseAsync().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
