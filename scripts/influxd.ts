/**
 * Real `influxd` servers for tests, the demo and the benchmarks, each with its
 * own ports and temp dirs on 127.0.0.1, stopped by PID: Debian's influxdb
 * package (1.6.7) and the version matrix that scripts/influxdb-build.sh builds
 * from the Go module proxy into a cache (1.8.10, 1.13.2, 2.7.12). Certificates
 * come from make-certs.sh (openssl).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

export const INFLUXD = process.env.INFLUXD ?? '/usr/bin/influxd';

/** One server of the version matrix. */
export interface InfluxdBuild {
  version: string;
  binary: string;
  major: 1 | 2;
}

/** The matrix: Debian's package, the seeds' 1.8, the newest 1.x the module proxy serves, and 2.7. */
const MATRIX_VERSIONS = ['1.6.7', '1.8.10', '1.13.2', '2.7.12'] as const;
const BUILT = new Set<string>(['1.8.10', '1.13.2', '2.7.12']);

/** Where scripts/influxdb-build.sh caches its builds. */
export const influxdCache = (env: NodeJS.ProcessEnv = process.env) =>
  join(env.INFLUXGUARD_CACHE ?? join(env.HOME ?? homedir(), '.cache', 'influxguard'), 'influxdb');

/** The matrix servers present on this machine, and why the others are not. */
export function influxdBuilds(env: NodeJS.ProcessEnv = process.env): {
  available: InfluxdBuild[];
  missing: { version: string; reason: string }[];
} {
  const available: InfluxdBuild[] = [];
  const missing: { version: string; reason: string }[] = [];
  for (const version of MATRIX_VERSIONS) {
    const binary = BUILT.has(version) ? join(influxdCache(env), version, 'influxd') : INFLUXD;
    if (existsSync(binary)) available.push({ version, binary, major: version.startsWith('2.') ? 2 : 1 });
    else
      missing.push({
        version,
        reason: BUILT.has(version) ? `${binary} not built (scripts/influxdb-build.sh)` : `${binary} missing (Debian package influxdb)`,
      });
  }
  return { available, missing };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

let certDir: string | undefined;
/** Test certificates, made once per process with openssl. */
export function certificates(): string {
  if (!certDir) {
    certDir = mkdtempSync(join(tmpdir(), 'ig-certs-'));
    const script = [
      new URL('./make-certs.sh', import.meta.url).pathname,
      new URL('../../scripts/make-certs.sh', import.meta.url).pathname,
    ].find((p) => existsSync(p))!;
    const r = spawnSync('sh', [script, certDir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`make-certs.sh failed: ${r.stderr}`);
    const made = certDir;
    atExit(() => rmSync(made, { recursive: true, force: true }));
  }
  return certDir;
}

export interface InfluxdVariant {
  /** Another influxd 1.x binary (e.g. a cached 1.8.10 build); default INFLUXD. */
  binary?: string;
  auth?: boolean;
  pprof?: boolean;
  /** Combined PEM (certificate + key) under certificates(). */
  https?: string;
  /** `[tls] min-version`, e.g. tls1.2. */
  tlsMinVersion?: string;
  env?: Record<string, string>;
  /** Top-level RPC bind host (default 127.0.0.1). */
  rpcHost?: string;
  /** Copy the HTTPS PEM into the server's own dir with this mode (e.g. 0o644) instead of sharing it. */
  pemMode?: number;
  /** Extra lines for the [http] section. */
  httpExtra?: string;
  /** Extra TOML appended at the end (e.g. an [http.headers] table). */
  extraToml?: string;
  /** Which server (default: Debian's 1.6.7). */
  build?: InfluxdBuild;
  /** 2.x only: `--metrics-disabled` when false. */
  metrics?: boolean;
  /** 2.x only: `--hardening-enabled`. */
  hardening?: boolean;
  /** 2.x only: extra command-line flags. */
  args?: string[];
  /**
   * 2.x only: a config file written into the server's dir ("{dir}" in its text is that dir, "{pem}" the
   * HTTPS PEM), found through INFLUXD_CONFIG_PATH naming the file or its dir, or as config.* in the working dir.
   */
  configFile?: { name: string; text: string; via: 'file' | 'dir' | 'cwd' };
}

export interface RunningInfluxd {
  url: string;
  port: number;
  pid: number;
  dir: string;
  stop: () => Promise<void>;
}

export function waitForPort(port: number, child: ChildProcess, log: () => string, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`influxd exited with ${child.exitCode}: ${log()}`));
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`influxd did not listen on ${port}: ${log()}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export async function startInfluxd(v: InfluxdVariant = {}): Promise<RunningInfluxd> {
  if (v.build?.major === 2) return startInfluxd2(v);
  const dir = mkdtempSync(join(tmpdir(), 'ig-influxd-'));
  const [port, rpc] = [await freePort(), await freePort()];
  const cert = httpsPem(v, dir);
  const conf = `reporting-disabled = true
bind-address = "${v.rpcHost ?? '127.0.0.1'}:${rpc}"
[meta]
  dir = "${dir}/meta"
[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:${port}"
  auth-enabled = ${v.auth === true}
  log-enabled = false
  pprof-enabled = ${v.pprof !== false}
  https-enabled = ${cert !== undefined}
${cert ? `  https-certificate = "${cert}"\n  https-private-key = "${cert}"` : ''}
${v.httpExtra ?? ''}
${v.tlsMinVersion ? `[tls]\n  min-version = "${v.tlsMinVersion}"` : ''}
${v.extraToml ?? ''}
`;
  writeFileSync(join(dir, 'influxdb.conf'), conf);
  const child = spawn(v.build?.binary ?? v.binary ?? INFLUXD, ['-config', join(dir, 'influxdb.conf')], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH ?? '', ...(v.env ?? {}) },
  });
  return supervise(child, { url: `${cert ? 'https' : 'http'}://127.0.0.1:${port}`, port, dir, stopSignal: 'SIGTERM' });
}

const exitHooks = new Set<() => void>();
let exitHooked = false;
/**
 * Run `fn` when this process exits; returns the function that cancels it. One `exit` listener for all of
 * them: a listener per server passed Node's limit of 10 (MaxListenersExceededWarning) in the probe tests.
 */
function atExit(fn: () => void): () => void {
  if (!exitHooked)
    process.once('exit', () => {
      for (const f of exitHooks) f();
    });
  exitHooked = true;
  exitHooks.add(fn);
  return () => {
    exitHooks.delete(fn);
  };
}

/**
 * InfluxDB 2.x, configured by flags (its configuration file and INFLUXD_*
 * environment are the host collector's business, see test/host): data under
 * its own temp dir, no telemetry. `auth` is meaningless on 2.x (always on once
 * set up: see setupV2); `pprof: false` is `--pprof-disabled`.
 */
async function startInfluxd2(v: InfluxdVariant): Promise<RunningInfluxd> {
  const dir = mkdtempSync(join(tmpdir(), 'ig-influxd2-'));
  const port = await freePort();
  const cert = httpsPem(v, dir);
  const env: Record<string, string> = {};
  if (v.configFile) {
    const file = join(dir, v.configFile.name);
    writeFileSync(file, v.configFile.text.replaceAll('{dir}', dir).replaceAll('{pem}', cert ?? ''));
    if (v.configFile.via !== 'cwd') env.INFLUXD_CONFIG_PATH = v.configFile.via === 'file' ? file : dir;
  }
  const args = [
    '--http-bind-address',
    `127.0.0.1:${port}`,
    '--bolt-path',
    join(dir, 'influxd.bolt'),
    '--engine-path',
    join(dir, 'engine'),
    '--sqlite-path',
    join(dir, 'influxd.sqlite'),
    '--reporting-disabled',
    '--log-level',
    'error',
    // With a config file, TLS comes from it (or the test's flags): the point is where influxd reads it.
    ...(cert && !v.configFile ? ['--tls-cert', cert, '--tls-key', cert] : []),
    ...(v.tlsMinVersion ? ['--tls-min-version', v.tlsMinVersion.replace(/^tls/, '')] : []),
    ...(v.pprof === false ? ['--pprof-disabled'] : []),
    ...(v.metrics === false ? ['--metrics-disabled'] : []),
    ...(v.hardening ? ['--hardening-enabled'] : []),
    ...(v.args ?? []),
  ];
  // Its own working dir: influxd reads a config.* it finds there.
  const child = spawn(v.build!.binary, args, {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: dir, ...env, ...(v.env ?? {}) },
  });
  const https = cert !== undefined && (!v.configFile || v.configFile.text.includes('{pem}'));
  // 2.x migrates its bolt and sqlite stores before it listens: slower to start than 1.x.
  return supervise(child, {
    url: `${https ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    dir,
    stopSignal: 'SIGTERM',
    startTimeoutMs: 60_000,
  });
}

/** The HTTPS PEM under certificates(), or a copy in the server's dir with pemMode. */
function httpsPem(v: InfluxdVariant, dir: string): string | undefined {
  let cert = v.https ? join(certificates(), v.https) : undefined;
  if (cert && v.pemMode !== undefined) {
    const own = join(dir, 'influxdb.pem');
    copyFileSync(cert, own);
    chmodSync(own, v.pemMode);
    cert = own;
  }
  return cert;
}

/**
 * Like Promise.all, but waits for every promise before rejecting: a test's
 * afterAll then stops every server that started (with Promise.all, one that
 * starts after another failed would outlive the test and keep Jest waiting).
 */
export async function allStarted<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** Test-fixture setup only (never the prober): onboard a 2.x server (first user, org, bucket, operator token). */
export async function setupV2(url: string, token: string, password = 'S3cret-admin-pw'): Promise<number> {
  return postJson(`${url}/api/v2/setup`, { username: 'admin', password, org: 'influxguard', bucket: 'test', token });
}

async function postJson(url: string, body: unknown): Promise<number> {
  const { request } = await import(url.startsWith('https') ? 'node:https' : 'node:http');
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json' } },
      (res: { statusCode?: number; resume: () => void }) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/**
 * Wait until a started server listens; tie its life to this process (killed
 * on exit, whatever happens to the test); `stop()` ends it and removes its dir.
 */
export async function supervise(
  child: ChildProcess,
  s: { url: string; port: number; dir: string; stopSignal: NodeJS.Signals; startTimeoutMs?: number },
): Promise<RunningInfluxd> {
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-3000)));
  const forget = atExit(() => child.kill('SIGKILL'));
  child.once('exit', forget);
  await waitForPort(s.port, child, () => log, s.startTimeoutMs);
  const stop = () =>
    new Promise<void>((resolve) => {
      const cleanup = () => {
        rmSync(s.dir, { recursive: true, force: true });
        resolve();
      };
      if (child.exitCode !== null || child.signalCode !== null) return cleanup();
      child.once('exit', cleanup);
      child.kill(s.stopSignal);
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    });
  return { url: s.url, port: s.port, pid: child.pid!, dir: s.dir, stop };
}

/** Test-fixture setup only (never the prober): create users over the HTTP API. */
export async function influxQuery(url: string, q: string, auth?: [string, string]): Promise<number> {
  const { request } = await import(url.startsWith('https') ? 'node:https' : 'node:http');
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/query`,
      {
        method: 'POST',
        rejectUnauthorized: false,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(auth ? { authorization: `Basic ${Buffer.from(auth.join(':')).toString('base64')}` } : {}),
        },
      },
      // InfluxDB 1.x sends its 200 before a statement has run: settle when the answer has ended, so that
      // the next statement cannot overtake this one (a GRANT before its CREATE USER, a REVOKE before its GRANT).
      (res: { statusCode?: number; resume: () => void; once: (e: 'end', f: () => void) => void }) => {
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.resume();
      },
    );
    req.on('error', reject);
    req.end(`q=${encodeURIComponent(q)}`);
  });
}
