import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SERVICE_NODE_FLAGS } from '../../scripts/lib/service-command.js';

const intakePool = fileURLToPath(new URL('../../dist/apps/api/src/submission/upload-intake.pool.js', import.meta.url));

/** Garbage enough to grow a young generation to its largest, then its size in MB. */
const youngGenerationMb = `
  let kept = [];
  for (let i = 0; i < 2e6; i++) { kept.push({ i, s: 'x' + i }); if (kept.length > 50000) kept = []; }
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 2 ** 20;`;

/**
 * The API's young generation (its Node flag) and its intake threads' (their resourceLimits): V8 lets the process's
 * flag win over a thread's limits unless the intake clears it for the isolates made after (UploadIntake).
 */
describe("the API's young generations", () => {
  const dir = mkdtempSync(join(tmpdir(), 'rowferry-young-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("are 16 MB on the main thread, with the API's flag, and 8 MB on an intake thread", () => {
    // A task run on the intake pool's own thread, reporting that thread's young generation.
    const probe = join(dir, 'probe.mjs');
    writeFileSync(probe, `import v8 from 'node:v8';\nexport default function probe() {${youngGenerationMb}\n}\n`);
    const program = `
      import 'reflect-metadata';
      import v8 from 'node:v8';
      import { UploadIntake } from ${JSON.stringify(pathToFileURL(intakePool).href)};
      const intake = new UploadIntake({ JOB_SIGNING_KEY: 'k'.repeat(32), INTAKE_THREADS: 1, INTAKE_NICE: 0 });
      const thread = await intake.pool.run(null, { filename: ${JSON.stringify(pathToFileURL(probe).href)} });
      const main = (() => {${youngGenerationMb}})();
      await intake.onApplicationShutdown();
      console.log(JSON.stringify({ main, thread }));`;
    const out = execFileSync(process.execPath, [...SERVICE_NODE_FLAGS.api, '--input-type=module', '-e', program], {
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({ main: 16, thread: 8 });
  }, 60_000);
});
