import '#observability/limit-heap'; // first: before the agent's modules load
import { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { SyncAgent } from './agent.js';
import { ApiClient, sleep } from './api-client.js';
import { loadAgentConfig, loadCredentials, remoteNames } from './config.js';
import { openSource } from './sources/open-source.js';
import { loadState } from './state.js';
import { renderStatus, tableStatus, type StatusRow } from './status.js';
import { createLogger } from '#observability';
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
      for (const [table, r] of results)
        console.log(
          `${table}: verified by ${o.content ? 'content' : 'keys and versions'} in ${r.passes} pass(es); ${r.found === 0 ? 'equal' : `${r.found} row(s) differed and were repaired`}`,
        );
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
    const remote = new Map((await api.allVersionInfo()).map((i) => [i.table, i]));
    const { refusals, rounds, passes } = loadState(config.stateFile);
    const rows: StatusRow[] = [];
    for (const t of config.tables) {
      const table = await source.describe(t.name, t.key);
      const r = remote.get(t.name);
      const localMax = await source.localMax(table);
      const behind = r ? localMax - BigInt(r.appliedThrough) : localMax;
      const state = tableStatus({ localMax, remote: r, refusal: refusals[t.name], rounds: rounds[t.name] });
      const pass = passes[t.name];
      rows.push({
        table: t.name,
        ...state,
        localVersion: localMax.toString(),
        remoteVersion: r?.maxVersion ?? null,
        behindVersions: (behind > 0n ? behind : 0n).toString(),
        laggingSince: state.state === 'equal' ? null : (pass?.lastEqualAt ?? null),
        localRows: await source.count(table),
        remoteRows: r?.rowCount ?? null,
        quarantined: r?.quarantined ?? 0,
        lastPass: pass ?? null,
        lastCheckRepaired: rounds[t.name]?.lastRound ?? null,
      });
    }
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
