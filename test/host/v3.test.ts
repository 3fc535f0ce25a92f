/**
 * The collector against a real `influxdb3 serve` (InfluxDB 3 Core 3.6.0, loopback only, telemetry upload off):
 * recognised as 3.x, its version read from the binary's bytes (never run), its flags and INFLUXDB3_* variables,
 * a credential flag named but never its value, and the proof of the catalog reading: a fresh server's local-file
 * catalog holds no admin token (auth.v3-admin-token-unclaimed FAILED), and after the test itself creates the admin
 * token with POST /api/v3/configure/token/admin (the scanner never does), the catalog shows it (PASSED).
 * Skipped when the binary is not in the cache (see test/probe/matrix.test.ts for the matrix).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COLLECTOR_PATH, collectLocal } from '../../lib/evidence/host/local.js';
import type { HostEvidence, Result } from '../../lib/model.js';
import { certificates, freePort, influxdCache, waitForPort } from '../../scripts/influxd.js';
import { collectorCall } from '../support/collector-py.js';
import { judgeHost } from '../support/fixtures.js';

const BINARY = join(influxdCache(), '3.6.0', 'influxdb3');
const have = existsSync(BINARY);
const SECRET = 'Aws-Secret-Value-9c2e71';
const TELEMETRY = 'http://127.0.0.1:9/'; // nothing listens there: the sandbox has only loopback

let child: ChildProcess | undefined;
let dir = '';
let port = 0;
let log = '';
let before: Result<HostEvidence>;
let after: Result<HostEvidence>;
let raw = '';
let adminToken = '';

beforeAll(async () => {
  if (!have) return;
  dir = mkdtempSync(join(tmpdir(), 'ig-v3-'));
  port = await freePort();
  child = spawn(
    BINARY,
    [
      'serve',
      '--node-id',
      'n1',
      '--object-store',
      'file',
      '--data-dir',
      dir,
      '--http-bind',
      `127.0.0.1:${port}`,
      '--disable-telemetry-upload',
      '--aws-secret-access-key',
      SECRET,
      '--admin-token-recovery-http-bind',
      '--plugin-dir',
      join(dir, 'plugins'),
    ],
    { env: { PATH: process.env.PATH, INFLUXDB3_TELEMETRY_ENDPOINT: TELEMETRY, INFLUXDB3_DISABLE_AUTHZ: 'health,ping' }, stdio: 'pipe' },
  );
  child.stdout?.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-4000)));
  child.stderr?.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-4000)));
  await waitForPort(port, child, () => log, 60_000);
  before = await collectLocal({ pids: [child.pid!] }, 60_000);
  raw = spawnSync('sh', [COLLECTOR_PATH], {
    env: { PATH: process.env.PATH, INFLUXGUARD_PIDS: String(child.pid) },
    encoding: 'utf8',
  }).stdout;
  // The test claims the server (the scanner never would): the catalog must now show an admin token.
  const r = await fetch(`http://127.0.0.1:${port}/api/v3/configure/token/admin`, { method: 'POST' });
  expect(r.status).toBe(201);
  const token = ((await r.json()) as { token: string }).token;
  expect(token).toMatch(/^apiv3_/);
  after = await collectLocal({ pids: [child.pid!] }, 60_000);
  adminToken = token;
}, 180_000);

/**
 * A second server, about telemetry and the processing engine: --without-auth --plugin-dir, telemetry on (to loopback),
 * started with a global option before `serve` (`influxdb3 --num-io-threads 2 serve …`, which 3.6.0 accepts).
 */
let open: ChildProcess | undefined;
let openHost: Result<HostEvidence>;

beforeAll(async () => {
  if (!have) return;
  const openPort = await freePort();
  let openLog = '';
  open = spawn(
    BINARY,
    [
      '--num-io-threads',
      '2',
      'serve',
      '--node-id',
      'n2',
      '--object-store',
      'memory',
      '--http-bind',
      `127.0.0.1:${openPort}`,
      '--without-auth',
      '--plugin-dir',
      join(dir, 'plugins2'),
    ],
    { env: { PATH: process.env.PATH, INFLUXDB3_TELEMETRY_ENDPOINT: TELEMETRY }, stdio: 'pipe' },
  );
  open.stdout?.on('data', (b: Buffer) => (openLog = (openLog + b.toString()).slice(-4000)));
  open.stderr?.on('data', (b: Buffer) => (openLog = (openLog + b.toString()).slice(-4000)));
  await waitForPort(openPort, open, () => openLog, 60_000);
  openHost = await collectLocal({ pids: [open.pid!] }, 60_000);
}, 180_000);

/**
 * A third, with the recovery listener on all interfaces, set by its variable (the sandbox has only loopback), and
 * TLS from a key file every local user can read.
 */
let recovering: ChildProcess | undefined;
let recoveringHost: Result<HostEvidence>;
let recoveringApi = 0;

beforeAll(async () => {
  if (!have) return;
  const [apiPort, recoveryPort] = [await freePort(), await freePort()];
  recoveringApi = apiPort;
  const key = join(dir, 'open.key');
  copyFileSync(join(certificates(), 'valid.key'), key);
  chmodSync(key, 0o644);
  let recoveringLog = '';
  recovering = spawn(
    BINARY,
    [
      'serve',
      '--node-id',
      'n3',
      '--object-store',
      'memory',
      '--http-bind',
      `127.0.0.1:${apiPort}`,
      '--disable-telemetry-upload',
      '--tls-cert',
      join(certificates(), 'valid.pem'),
      '--tls-key',
      key,
    ],
    {
      // INFLUXDB3_WITHOUT_AUTH: the newer name of INFLUXDB3_START_WITHOUT_AUTH, which 3.6.0 does not read (below).
      env: {
        PATH: process.env.PATH,
        INFLUXDB3_ADMIN_TOKEN_RECOVERY_HTTP_BIND_ADDR: `0.0.0.0:${recoveryPort}`,
        INFLUXDB3_WITHOUT_AUTH: 'true',
      },
      stdio: 'pipe',
    },
  );
  recovering.stdout?.on('data', (b: Buffer) => (recoveringLog = (recoveringLog + b.toString()).slice(-4000)));
  recovering.stderr?.on('data', (b: Buffer) => (recoveringLog = (recoveringLog + b.toString()).slice(-4000)));
  await waitForPort(recoveryPort, recovering, () => recoveringLog, 60_000);
  recoveringHost = await collectLocal({ pids: [recovering.pid!] }, 60_000);
}, 180_000);

afterAll(() => {
  child?.kill('SIGKILL');
  open?.kill('SIGKILL');
  recovering?.kill('SIGKILL');
  // A killed server may still be writing its files for a moment: retry while the directory is not yet empty.
  if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

const evidence = (r: Result<HostEvidence>) => {
  if (!r.ok) throw new Error(r.reason);
  return r.value;
};

describe('which influxdb3 command lines are servers (the collector, serve_at)', () => {
  it('serve after any global options and their values; clients and a swallowed `serve` are not', () => {
    const at = (...args: string[]) => collectorCall('serve_at', ['influxdb3', ...args]);
    expect(at('serve', '--node-id', 'n')).toBe(1);
    expect(at('--num-io-threads', '2', 'serve', '--without-auth')).toBe(3);
    expect(at('--io-runtime-type=multi-thread', 'serve')).toBe(2);
    expect(at('query', '--token', 'apiv3_x', 'SELECT 1')).toBeNull();
    expect(at('create', 'token', '--admin')).toBeNull();
    expect(at('--num-io-threads', 'serve')).toBeNull(); // clap reads `serve` as the thread count: no server starts
    expect(at()).toBeNull();
  });
});

(have ? describe : describe.skip)('a real influxdb3 serve (3.6.0)', () => {
  it('is recognised as InfluxDB 3 with its version read from the binary, never run', () => {
    const h = evidence(before);
    expect(h.processes).toHaveLength(1);
    const p = h.processes[0]!;
    expect(p).toMatchObject({ name: 'influxdb3', flavour: 'influxdb-3', version: '3.6.0', versionSource: 'influxdb3 build strings' });
    expect(h.version).toBe('3.6.0');
  });
  it('reports its flags and INFLUXDB3_* variables; a credential flag by name only', () => {
    const p = evidence(before).processes[0]!;
    expect(p.flags).toMatchObject({
      'object-store': 'file',
      'http-bind': `127.0.0.1:${port}`,
      'disable-telemetry-upload': 'true',
      'admin-token-recovery-http-bind': '',
    });
    expect(p.env).toMatchObject({ INFLUXDB3_DISABLE_AUTHZ: 'health,ping', INFLUXDB3_TELEMETRY_ENDPOINT: TELEMETRY });
    expect(p.secretFlags).toEqual({ 'aws-secret-access-key': 'set' });
    expect(raw).not.toContain(SECRET);
  });
  it('the catalog of a fresh server holds no admin token: auth.v3-admin-token-unclaimed FAILED', () => {
    expect(evidence(before).processes[0]!.catalog).toMatchObject({ format: 'idb3.004', adminToken: false });
    const f = judgeHost(before).find((x) => x.checkId === 'auth.v3-admin-token-unclaimed')!;
    expect(f).toMatchObject({ status: 'FAILED', severity: 'CRITICAL' });
  });
  it('after POST /api/v3/configure/token/admin the catalog shows the admin token: PASSED', () => {
    expect(evidence(after).processes[0]!.catalog).toMatchObject({ format: 'idb3.004', adminToken: true });
    expect(judgeHost(after).find((x) => x.checkId === 'auth.v3-admin-token-unclaimed')).toMatchObject({ status: 'PASSED' });
    // Neither the token nor its hash (the catalog holds it) reaches the evidence or a finding.
    expect(`${JSON.stringify(after)}${JSON.stringify(judgeHost(after))}`).not.toContain(adminToken);
    expect(JSON.stringify(after)).not.toMatch(/apiv3_|"hash"/);
  });
  it('decides the 3.x checks from the real process; no secret in any finding', () => {
    const fs = judgeHost(before);
    const status = (id: string) => fs.filter((f) => f.checkId === id).map((f) => f.status);
    expect(status('auth.v3-recovery-listener-exposed')).toEqual(['PASSED']); // 127.0.0.1:8182
    expect(status('host.v3-processing-engine-open')).toEqual(['PASSED']); // authentication on
    expect(status('host.v3-telemetry-upload')).toEqual(['PASSED']);
    expect(status('secrets.command-line')).toEqual(['FAILED']);
    expect(status('auth.disabled')).toEqual(['PASSED']);
    expect(status('auth.diagnostics-unauthenticated')).toEqual(['PASSED']); // health,ping: not /metrics
    expect(status('tls.disabled')).toEqual(['FAILED']);
    expect(JSON.stringify(fs)).not.toContain(SECRET);
  });
  it('the recovery listener on 0.0.0.0 by its variable: auth.v3-recovery-listener-exposed FAILED, naming the address', () => {
    const fs = judgeHost(recoveringHost).filter((f) => f.checkId === 'auth.v3-recovery-listener-exposed');
    expect(fs.map((f) => `${f.status} ${f.severity}`)).toEqual(['FAILED CRITICAL']);
    expect(fs[0]!.evidence.summary).toMatch(/0\.0\.0\.0:\d+ \(environment\)/);
  });
  // Defect (fails on the old code: the collector did not print the variable, and auth.disabled PASSED from the host).
  it('INFLUXDB3_WITHOUT_AUTH (the name newer releases read; 3.6.0 ignores it and still asks for a token) leaves auth.disabled to the probe', async () => {
    const p = evidence(recoveringHost).processes[0]!;
    expect(p.env).toMatchObject({ INFLUXDB3_WITHOUT_AUTH: 'true' });
    const fs = judgeHost(recoveringHost).filter((f) => f.checkId === 'auth.disabled');
    expect(fs.map((f) => f.status)).toEqual(['NOT_AVAILABLE']);
    expect(JSON.stringify(fs[0]!.evidence)).toMatch(/INFLUXDB3_WITHOUT_AUTH=true is read only by releases that renamed/);
    const status = await new Promise<number | undefined>((resolve, reject) =>
      get(`https://127.0.0.1:${recoveringApi}/api/v3/configure/database?format=json`, { rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on('error', reject),
    );
    expect(status).toBe(401);
  });
  it('TLS from --tls-cert/--tls-key: tls.disabled PASSED; the key readable by every user: tls.private-key-exposed FAILED', () => {
    const fs = judgeHost(recoveringHost);
    const status = (id: string) => fs.filter((f) => f.checkId === id).map((f) => f.status);
    expect(status('tls.disabled')).toEqual(['PASSED']);
    expect(status('tls.private-key-exposed')).toEqual(['FAILED']);
  });
  it('a server started with global options before serve is a server, not a client (it was skipped: its checks were blind)', () => {
    expect(evidence(openHost).processes.map((p) => `${p.name} ${p.flavour}`)).toEqual(['influxdb3 influxdb-3']);
    expect(evidence(openHost).processes[0]!.flags).toMatchObject({ 'node-id': 'n2', 'without-auth': 'true' });
  });
  it('--without-auth --plugin-dir with telemetry on: processing engine open, telemetry uploaded, auth off; nothing to claim', () => {
    const p = evidence(openHost).processes[0]!;
    expect(p.flags).toMatchObject({ 'without-auth': 'true', 'object-store': 'memory' });
    expect(p.catalog).toBeUndefined(); // a memory object store: nothing on disk to read
    const fs = judgeHost(openHost);
    const status = (id: string) => fs.filter((f) => f.checkId === id).map((f) => f.status);
    expect(status('host.v3-processing-engine-open')).toEqual(['FAILED']);
    expect(status('host.v3-telemetry-upload')).toEqual(['FAILED']);
    expect(status('auth.disabled')).toEqual(['FAILED']);
    expect(status('auth.diagnostics-unauthenticated')).toEqual(['FAILED']);
    expect(status('auth.v3-admin-token-unclaimed')).toEqual([]);
    expect(status('secrets.command-line')).toEqual(['PASSED']);
  });
});
