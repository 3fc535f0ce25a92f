// @ts-check
/**
 * Once per test run: start one moto server (test files isolate themselves by
 * AWS account, see aws.ts) and build dist/ so CLI tests run the real binary.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { emulatorEnv, startEmulator } from '../../scripts/emulator.js';

export default async function globalSetup() {
  const root = new URL('../../', import.meta.url).pathname;
  // Every temporary file of the run (certificates and their CA key, server dirs, packages) goes under one directory
  // that the global teardown removes: a worker Jest ends does not run its exit hooks, and used to leave them in /tmp.
  const runTmp = mkdtempSync(join(tmpdir(), 'influxguard-test-'));
  chmodSync(runTmp, 0o1777); // what /tmp is: tests that run processes as other users (the collector's) see the same
  process.env.TMPDIR = runTmp;
  /** @type {any} */ (globalThis).__influxguardTmp = runTmp;
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
