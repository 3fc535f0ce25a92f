// @ts-check
/** Starts one moto server for the whole run; test files isolate themselves by AWS account (see aws.ts). */
import { emulatorEnv, startEmulator } from '../../scripts/emulator.js';

export default async function globalSetup() {
  const emulator = await startEmulator();
  Object.assign(process.env, emulatorEnv(emulator.endpoint));
  /** @type {any} */ (globalThis).__influxguardEmulator = emulator;
}
