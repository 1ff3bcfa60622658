import { Command } from 'commander';
import { formatReport, runChaos } from './lib/chaos/run.js';

/**
 * `npm run chaos -- --minutes N --seed S`: faults against private servers while tenants write, then every column
 * of every row compared (scripts/lib/chaos/run.ts). Exits non-zero when the copy differs or did not converge.
 */
const program = new Command('chaos')
  .option('--minutes <n>', 'how long to write and inject faults', '2')
  .option('--seed <n>', 'the seed of every random choice (a failing run replays with it)', String(Date.now() % 100000))
  .option('--converge-timeout <seconds>', 'how long the copy may take to converge once the writers stop', '300')
  .parse();
const o = program.opts<{ minutes: string; seed: string; convergeTimeout: string }>();

const report = await runChaos({
  seconds: Math.round(Number(o.minutes) * 60),
  seed: Number(o.seed),
  convergeTimeoutSeconds: Number(o.convergeTimeout),
  log: (line) => console.log(`chaos: ${line}`),
});
console.log(formatReport(report));
process.exitCode =
  report.differences.length === 0 && report.convergedInSeconds !== null && report.comparisonCatches ? 0 : 1;
