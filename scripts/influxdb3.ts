/**
 * Real InfluxDB 3 Core servers (the 3.6.0 binary that scripts/influxdb-build.sh
 * installs from ../shared/influxdb3/ into the cache) for tests, on 127.0.0.1
 * only, never uploading telemetry, with their data in a temp dir, stopped by
 * PID; and the one fixture request a test may make that the scanner never
 * does: creating the first admin token. The 1.x/2.x servers are in influxd.ts.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificates, freePort, influxdCache, supervise, type RunningInfluxd } from './influxd.js';

export const INFLUXDB3_VERSION = '3.6.0';

/** The cached binary, or why it is not there. */
export function influxdb3Binary(env: NodeJS.ProcessEnv = process.env): { binary: string } | { missing: string } {
  const binary = join(influxdCache(env), INFLUXDB3_VERSION, 'influxdb3');
  return existsSync(binary) ? { binary } : { missing: `${binary} not installed (scripts/influxdb-build.sh ${INFLUXDB3_VERSION})` };
}

/** One configuration of `influxdb3 serve` (the five: default, withoutAuth, plugins, disableAuthz, tls13). */
export interface Influxdb3Variant {
  /** `--without-auth`. */
  withoutAuth?: boolean;
  /** `--plugin-dir` (a temp dir of the server's own): the processing engine on. */
  plugins?: boolean;
  /** `--disable-authz`, e.g. `health,ping,metrics`. */
  disableAuthz?: string;
  /** `--admin-token-recovery-http-bind` at this address (a loopback one in tests). */
  recoveryBind?: string;
  /** `--admin-token-file`: an offline admin token (`influxdb3 create token --admin --offline`) loaded at start. */
  adminTokenFile?: string;
  /** `--tls-cert`/`--tls-key` from the test certificates (make-certs.sh: `valid`, `selfsigned`…) and the minimum version. */
  tls?: { name: string; minimum?: 'tls-1.2' | 'tls-1.3' };
}

export async function startInfluxdb3(binary: string, v: Influxdb3Variant = {}): Promise<RunningInfluxd> {
  const dir = mkdtempSync(join(tmpdir(), 'ig-influxdb3-'));
  const port = await freePort();
  const certs = v.tls ? certificates() : undefined;
  const plugins = join(dir, 'plugins');
  if (v.plugins) mkdirSync(plugins);
  const args = [
    'serve',
    '--node-id',
    'influxguard-test',
    '--object-store',
    'file',
    '--data-dir',
    join(dir, 'data'),
    '--http-bind',
    `127.0.0.1:${port}`,
    '--disable-telemetry-upload',
    ...(v.withoutAuth ? ['--without-auth'] : []),
    ...(v.plugins ? ['--plugin-dir', plugins, '--package-manager', 'disabled'] : []),
    ...(v.disableAuthz ? ['--disable-authz', v.disableAuthz] : []),
    ...(v.recoveryBind ? ['--admin-token-recovery-http-bind', v.recoveryBind] : []),
    ...(v.adminTokenFile ? ['--admin-token-file', v.adminTokenFile] : []),
    ...(v.tls && certs
      ? [
          '--tls-cert',
          join(certs, `${v.tls.name}.pem`),
          '--tls-key',
          join(certs, `${v.tls.name}.key`),
          ...(v.tls.minimum ? ['--tls-minimum-version', v.tls.minimum] : []),
        ]
      : []),
  ];
  // Its log goes to stdout: kept (the last lines) for a start that fails.
  const child = spawn(binary, args, {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: dir, LOG_FILTER: 'warn' },
  });
  // The processing engine creates its Python environment before the server listens.
  return supervise(child, {
    url: `${v.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    dir,
    stopSignal: 'SIGTERM',
    startTimeoutMs: 60_000,
  });
}

/**
 * Test-fixture setup only, never the scanner: a POST under /api/v3/configure/token/.
 * `admin` creates the first admin token (no authentication needed while none
 * exists: 201 and the token); `named_admin` (with the admin token) another one.
 */
export function createV3Token(
  url: string,
  kind: 'admin' | 'named_admin',
  opts: { token?: string; name?: string } = {},
): Promise<{ status: number; token?: string }> {
  const request = url.startsWith('https') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/api/v3/configure/token/${kind}`,
      {
        method: 'POST',
        rejectUnauthorized: false,
        headers: { 'content-type': 'application/json', ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) },
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => {
          let token: string | undefined;
          try {
            token = (JSON.parse(body) as { token?: string }).token;
          } catch {
            token = undefined;
          }
          resolve({ status: res.statusCode ?? 0, ...(token ? { token } : {}) });
        });
      },
    );
    req.on('error', reject);
    req.end(kind === 'named_admin' ? JSON.stringify({ token_name: opts.name ?? 'second-admin' }) : '');
  });
}
