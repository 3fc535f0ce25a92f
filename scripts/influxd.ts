/**
 * Real `influxd` servers (Debian's influxdb package) for tests, the demo and
 * the benchmarks, each with its own ports and temp dirs on 127.0.0.1, stopped
 * by PID. Certificates come from make-certs.sh (openssl).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const INFLUXD = process.env.INFLUXD ?? '/usr/bin/influxd';

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
  const dir = mkdtempSync(join(tmpdir(), 'ig-influxd-'));
  const [port, rpc] = [await freePort(), await freePort()];
  let cert = v.https ? join(certificates(), v.https) : undefined;
  if (cert && v.pemMode !== undefined) {
    const own = join(dir, 'influxdb.pem');
    copyFileSync(cert, own);
    chmodSync(own, v.pemMode);
    cert = own;
  }
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
  const child = spawn(v.binary ?? INFLUXD, ['-config', join(dir, 'influxdb.conf')], {
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
 * Wait until a started server listens; tie its life to this process (killed
 * on exit, whatever happens to the test); `stop()` ends it and removes its dir.
 */
export async function supervise(
  child: ChildProcess,
  s: { url: string; port: number; dir: string; stopSignal: NodeJS.Signals },
): Promise<RunningInfluxd> {
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-3000)));
  const forget = atExit(() => child.kill('SIGKILL'));
  child.once('exit', forget);
  await waitForPort(s.port, child, () => log);
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
