import { Command } from 'commander';
import { antiEntropy } from './bench/anti-entropy.js';
import { deletes } from './bench/deletes.js';
import { fairness } from './bench/fairness.js';
import { idleFleet } from './bench/idle-fleet.js';
import { initialLoad } from './bench/initial-load.js';
import { insertFloor } from './bench/insert-floor.js';
import { slowDatabase } from './bench/slow-database.js';
import { trackingCost } from './bench/tracking-cost.js';
import { verify } from './bench/verify.js';
import { versionInfo } from './bench/version-info.js';

/**
 * `npm run bench -- <scenario> [options]`: one file per scenario in scripts/bench/; numbers go to docs/benchmarks.md.
 */
const program = new Command('bench')
  .addCommand(initialLoad)
  .addCommand(insertFloor)
  .addCommand(fairness)
  .addCommand(slowDatabase)
  .addCommand(antiEntropy)
  .addCommand(deletes)
  .addCommand(verify)
  .addCommand(trackingCost)
  .addCommand(versionInfo)
  .addCommand(idleFleet);

program.parseAsync().catch((err) => {
  console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
