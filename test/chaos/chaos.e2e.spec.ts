import { formatReport, runChaos } from '../../scripts/lib/chaos/run.js';

/**
 * The short, seeded chaos run (issue 8): a minute of random writes in four tenants (SQLite ×2, PostgreSQL, MariaDB)
 * while workers, agents and the API are killed, PostgreSQL and Redis restart, Redis loses its data, sources are
 * restored from older backups and columns are added. Then every column of every row must be equal.
 * The long run: `npm run chaos -- --minutes 10 --seed S`.
 */
describe('chaos', () => {
  it('converges exactly after a minute of faults (seed 42)', async () => {
    const report = await runChaos({ seconds: 60, seed: 42, convergeTimeoutSeconds: 90 });
    console.log(formatReport(report));
    expect(Object.values(report.faults).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(10);
    expect(report.rowsCompared).toBeGreaterThan(5000);
    expect(report.comparisonCatches).toBe(true);
    expect(report.differences).toEqual([]);
    expect(report.convergedInSeconds).not.toBeNull();
    expect(report.quarantined).toBe(0);
  }, 240_000);
});
