// @ts-check
/**
 * The AWS emulator used by tests, the demo and the benchmarks: the real moto
 * server (Python, in the project's .venv-moto), installed on demand, listening on 127.0.0.1 at a free port.
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
/** The repository root (this file runs from scripts/ and from dist/scripts/). */
const ROOT =
  [join(here, '..'), join(here, '..', '..')].find((d) => existsSync(join(d, 'scripts', 'requirements-moto.txt'))) ?? join(here, '..');
/** moto (and cfn-lint) live in the project's own virtual environment, made by `make` (scripts/python-venv.sh). */
export const MOTO_VENV = join(ROOT, '.venv-moto');

/**
 * The interpreter that runs moto: INFLUXGUARD_PYTHON when set, else the venv's. A checkout without the venv falls
 * back to python3 on PATH when that can import moto (a machine set up before the venv existed), with one line saying so.
 */
function python() {
  if (process.env.INFLUXGUARD_PYTHON) return process.env.INFLUXGUARD_PYTHON;
  const venv = join(MOTO_VENV, 'bin', 'python');
  if (existsSync(join(MOTO_VENV, '.setup-done'))) return venv;
  if (spawnSync('python3', ['-c', 'import moto.server, flask, flask_cors'], { stdio: 'ignore' }).status === 0) {
    process.stderr.write(`emulator: ${MOTO_VENV} not set up (make does it): using python3 from PATH, which has moto\n`);
    return 'python3';
  }
  return venv;
}

/**
 * Make the venv with moto when it is missing (needs the package index: run before entering a sandbox). Never pip
 * into the system's Python: Debian's is externally managed (PEP 668).
 * @returns {string} the interpreter to run moto with
 */
export function ensureMoto() {
  const py = python();
  const probe = spawnSync(py, ['-c', 'import moto.server, flask, flask_cors'], { stdio: 'ignore' });
  if (probe.status === 0) return py;
  const made = spawnSync(join(ROOT, 'scripts', 'python-venv.sh'), [MOTO_VENV, '-r', join(ROOT, 'scripts', 'requirements-moto.txt')], {
    stdio: 'inherit',
  });
  if (made.status !== 0)
    throw new Error(`moto is not installed and making ${MOTO_VENV} failed (exit ${made.status}): run make (outside the sandbox) and retry`);
  return join(MOTO_VENV, 'bin', 'python');
}

/**
 * @typedef {{ endpoint: string, pid: number, stop: () => Promise<void> }} Emulator
 */

/**
 * @param {{ timeoutMs?: number }} [opts]
 * @returns {Promise<Emulator>}
 */
export async function startEmulator(opts = {}) {
  const py = ensureMoto();
  const launcher = LAUNCHERS.find((p) => existsSync(p));
  if (!launcher) throw new Error(`moto launcher not found (looked in ${LAUNCHERS.join(', ')})`);
  const timeoutMs = opts.timeoutMs ?? 30000;
  const child = spawn(py, [launcher], { stdio: ['pipe', 'pipe', 'pipe'] });
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
