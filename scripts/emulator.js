// @ts-check
/**
 * The AWS emulator used by tests, the demo and the benchmarks: the real moto
 * server (Python), installed on demand, listening on 127.0.0.1 at a free port.
 * It stops when `stop()` is called or when this process exits (stdin closes).
 * Plain JavaScript so that Jest's global setup can load it untransformed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The Python launcher sits in scripts/ (also when this file runs from dist/scripts/). */
const LAUNCHERS = [join(here, 'moto_server.py'), join(here, '..', '..', 'scripts', 'moto_server.py')];
const PYTHON = process.env.INFLUXGUARD_PYTHON ?? 'python3';

/**
 * @typedef {{ endpoint: string, pid: number, stop: () => Promise<void> }} Emulator
 */

/** Install moto[server] with pip when it is missing (needs the package index: run before entering a sandbox). */
export function ensureMoto() {
  const probe = spawnSync(PYTHON, ['-c', 'import moto.server, flask, flask_cors'], { stdio: 'ignore' });
  if (probe.status === 0) return;
  const pip = spawnSync(PYTHON, ['-m', 'pip', 'install', '--quiet', 'moto[server]>=5.1'], { stdio: 'inherit' });
  if (pip.status !== 0)
    throw new Error(`moto is not installed and "pip install moto[server]" failed (exit ${pip.status}); install it and retry`);
}

/**
 * @param {{ timeoutMs?: number }} [opts]
 * @returns {Promise<Emulator>}
 */
export async function startEmulator(opts = {}) {
  ensureMoto();
  const launcher = LAUNCHERS.find((p) => existsSync(p));
  if (!launcher) throw new Error(`moto launcher not found (looked in ${LAUNCHERS.join(', ')})`);
  const timeoutMs = opts.timeoutMs ?? 30000;
  const child = spawn(PYTHON, [launcher], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (/** @type {Buffer} */ d) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  /** @type {number} */
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`moto did not start within ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line).port);
      } catch {
        reject(new Error(`unexpected output from the moto launcher: ${line}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`moto exited with code ${code}: ${stderr}`));
    });
  });
  /** @returns {Promise<void>} */
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.ref(); // keep the caller alive until moto has exited
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
  // Do not keep the caller alive: when it exits, stdin closes and moto stops.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) /** @type {any} */ (stream).unref?.();
  return { endpoint: `http://127.0.0.1:${port}`, pid: /** @type {number} */ (child.pid), stop };
}

/**
 * Environment that points the AWS SDK (and the CLI) at the emulator with dummy credentials.
 * @param {string} endpoint
 * @param {string} [region]
 * @returns {Record<string, string>}
 */
export function emulatorEnv(endpoint, region = 'eu-west-1') {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: region,
    AWS_EC2_METADATA_DISABLED: 'true',
    // Emulated instances have private IPs that belong to nobody here: probe loopback only.
    INFLUXGUARD_PROBE_ALLOWED_CIDRS: '127.0.0.0/8',
  };
}
