// @ts-check
import { rmSync } from 'node:fs';

export default async function globalTeardown() {
  await /** @type {any} */ (globalThis).__influxguardEmulator?.stop();
  // The run's temporary directory (global-setup.js), whatever the workers left in it.
  const runTmp = /** @type {any} */ (globalThis).__influxguardTmp;
  if (runTmp) rmSync(runTmp, { recursive: true, force: true });
}
