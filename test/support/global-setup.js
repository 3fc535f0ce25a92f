// @ts-check
/**
 * Once per test run: start one moto server (test files isolate themselves by
 * AWS account, see aws.ts) and build dist/ so CLI tests run the real binary.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { emulatorEnv, startEmulator } from '../../scripts/emulator.js';

export default async function globalSetup() {
  const root = new URL('../../', import.meta.url).pathname;
  const run = promisify(execFile);
  // tsc, then the CLI bundle (what `npm run build` does).
  const build = run(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.build.json`], { cwd: root })
    .then(() => run(process.execPath, [`${root}dist/scripts/bundle.js`], { cwd: root }))
    .catch((err) => {
      throw new Error(`build failed before tests: ${err.stdout || err.message}`);
    });
  const emulator = await startEmulator();
  Object.assign(process.env, emulatorEnv(emulator.endpoint));
  // Handlers under test log and emit metrics through Powertools: keep the test output readable.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  /** @type {any} */ (globalThis).__influxguardEmulator = emulator;
  await build;
}
