/**
 * Endpoint checks against real influxd servers (Debian's influxdb 1.6.7),
 * one per variant, and against hostile non-InfluxDB listeners.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { parseConfig } from '../../lib/config.js';
import type { ScanDocument, Status } from '../../lib/model.js';
import { probeTargets } from '../../lib/probe.js';
import { runCli } from '../support/cli.js';
import { certificates, influxQuery, startInfluxd, type InfluxdVariant, type RunningInfluxd } from '../../scripts/influxd.js';
import { startHardenedProxy } from '../../scripts/nginx.js';

const VARIANTS: Record<string, InfluxdVariant> = {
  open: {},
  noAdmin: { auth: true },
  admin: { auth: true },
  pprofOff: { auth: true, pprof: false },
  httpsValid: { auth: true, https: 'valid.combined.pem' },
  httpsSelfSigned: { auth: true, https: 'selfsigned.combined.pem' },
  httpsExpired: { auth: true, https: 'expired.combined.pem' },
  httpsSoon: { auth: true, https: 'soon.combined.pem' },
  tls12: { auth: true, https: 'valid.combined.pem', tlsMinVersion: 'tls1.2' },
};

const servers: Record<string, RunningInfluxd> = {};
const others: (Server | TcpServer)[] = [];
const sockets: Socket[] = [];
const docs: Record<string, ScanDocument> = {};
let plainUrl = '';
let hangUrl = '';
let endlessUrl = '';
const hostile: Record<string, string> = {};

const listen = (s: Server | TcpServer) =>
  new Promise<string>((resolve) => s.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(s.address() as { port: number }).port}`)));

const config = (over: Record<string, unknown> = {}) =>
  parseConfig({
    probe: {
      allowedCidrs: ['127.0.0.0/8'],
      connectTimeoutMs: 1000,
      tlsTimeoutMs: 1000,
      responseTimeoutMs: 2500,
      caFiles: [join(certificates(), 'ca.pem')],
      ...over,
    },
  });

beforeAll(async () => {
  await Promise.all(Object.entries(VARIANTS).map(async ([name, v]) => (servers[name] = await startInfluxd(v))));
  for (const name of ['admin', 'pprofOff', 'httpsValid', 'httpsSelfSigned', 'httpsExpired', 'httpsSoon', 'tls12']) {
    expect(await influxQuery(servers[name]!.url, "CREATE USER admin WITH PASSWORD 'S3cret-admin-pw' WITH ALL PRIVILEGES")).toBe(200);
  }
  expect(await influxQuery(servers.admin!.url, "CREATE USER reader WITH PASSWORD 'r3ader-pw'", ['admin', 'S3cret-admin-pw'])).toBe(200);
  const plain = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hello</html>'));
  const hang = createTcpServer((sock) => sockets.push(sock));
  const endless = createServer((_req, res) => {
    res.writeHead(200, { 'x-influxdb-version': '1.8.10' });
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const pump = () => {
      while (res.write(chunk)) if (res.destroyed) return;
      res.once('drain', pump);
    };
    res.on('error', () => undefined);
    pump();
  });
  others.push(plain, hang, endless);
  [plainUrl, hangUrl, endlessUrl] = await Promise.all([listen(plain), listen(hang), listen(endless)]);
  const raw = (onConnect: (s: Socket) => void) => {
    const srv = createTcpServer((sock) => {
      sockets.push(sock);
      sock.on('error', () => undefined);
      onConnect(sock);
    });
    others.push(srv);
    return listen(srv);
  };
  const drip = (sock: Socket, text: string, everyMs: number) => {
    const timer = setInterval(() => (sock.destroyed ? clearInterval(timer) : sock.write(text)), everyMs);
    sock.on('close', () => clearInterval(timer));
  };
  hostile.trickle = await raw((sock) => {
    sock.write('HTTP/1.1 200 OK\r\nX-Influxdb-Version: 1.8.0\r\n');
    drip(sock, 'a', 100);
  });
  hostile.endlessHeaders = await raw((sock) => {
    sock.write('HTTP/1.1 200 OK\r\n');
    drip(sock, `X-Filler: ${'x'.repeat(1000)}\r\n`, 5);
  });
  hostile.garbage = await raw((sock) => sock.write(Buffer.from('16030100ff0100ffdeadbeef'.repeat(40), 'hex')));
  hostile.http09 = await raw((sock) => sock.once('data', () => sock.end('hello, this is not HTTP/1.x\n')));
  hostile.redirect = await raw((sock) =>
    sock.once('data', () =>
      sock.end(
        'HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest/meta-data/\r\nX-Influxdb-Version: 1.8.0\r\nContent-Length: 0\r\n\r\n',
      ),
    ),
  );
  servers.proxied = await startHardenedProxy(servers.admin!);
  await Promise.all(
    Object.entries(servers).map(async ([name, s]) => (docs[name] = await probeTargets([s.url.replace(/^https?:\/\//, '')], config()))),
  );
  await Promise.all(Object.entries(hostile).map(async ([name, target]) => (docs[name] = await probeTargets([target], config()))));
}, 120_000);

afterAll(async () => {
  for (const s of sockets) s.destroy();
  for (const s of others) s.close();
  await Promise.all(Object.values(servers).map((s) => s.stop()));
});

const status = (name: string, checkId: string): Status | undefined => docs[name]!.findings.find((f) => f.checkId === checkId)?.status;
const table = (checkId: string) => Object.fromEntries(Object.keys(VARIANTS).map((n) => [n, status(n, checkId)]));

describe('probe checks against real influxd variants', () => {
  it('auth.disabled', () => {
    expect(table('auth.disabled')).toEqual({
      open: 'FAILED',
      noAdmin: 'PASSED',
      admin: 'PASSED',
      pprofOff: 'PASSED',
      httpsValid: 'PASSED',
      httpsSelfSigned: 'PASSED',
      httpsExpired: 'PASSED',
      httpsSoon: 'PASSED',
      tls12: 'PASSED',
    });
  });
  it('auth.no-admin-user', () => {
    expect(status('noAdmin', 'auth.no-admin-user')).toBe('FAILED');
    expect(docs.noAdmin!.findings.find((f) => f.checkId === 'auth.no-admin-user')!.severity).toBe('CRITICAL');
    expect(status('admin', 'auth.no-admin-user')).toBe('PASSED');
    expect(status('open', 'auth.no-admin-user')).toBe('PASSED');
  });
  it('auth.jwt-empty-secret: the patched Debian build rejects the empty-key token', () => {
    expect(status('admin', 'auth.jwt-empty-secret')).toBe('PASSED');
    const f = docs.admin!.findings.find((x) => x.checkId === 'auth.jwt-empty-secret')!;
    expect(String(f.evidence.answer)).toMatch(/bearer auth disab/);
  });
  it('auth.diagnostics-unauthenticated: pprof HIGH when on; /debug/vars still open with pprof off', () => {
    const on = docs.admin!.findings.find((f) => f.checkId === 'auth.diagnostics-unauthenticated')!;
    expect(on).toMatchObject({ status: 'FAILED', severity: 'HIGH' });
    const off = docs.pprofOff!.findings.find((f) => f.checkId === 'auth.diagnostics-unauthenticated')!;
    expect(off).toMatchObject({ status: 'FAILED', severity: 'MEDIUM' });
    expect((off.evidence.paths as Record<string, unknown>)['/debug/pprof/']).toBe(404);
  });
  it('auth.v2-setup-open passes on 1.x', () => expect(status('open', 'auth.v2-setup-open')).toBe('PASSED'));
  it('tls.disabled', () => {
    expect(table('tls.disabled')).toMatchObject({ open: 'FAILED', admin: 'FAILED', httpsValid: 'PASSED', tls12: 'PASSED' });
  });
  it('tls.certificate-invalid: valid, self-signed, expired (HIGH), expiring soon (WARNING)', () => {
    expect(table('tls.certificate-invalid')).toMatchObject({
      httpsValid: 'PASSED',
      httpsSelfSigned: 'FAILED',
      httpsExpired: 'FAILED',
      httpsSoon: 'WARNING',
      tls12: 'PASSED',
      open: undefined,
    }); // not applicable to plain HTTP
    expect(docs.httpsExpired!.findings.find((f) => f.checkId === 'tls.certificate-invalid')!.severity).toBe('HIGH');
  });
  it('tls.certificate-invalid: without the operator CA the test CA is untrusted; an unresolvable name is never contacted', async () => {
    const untrusted = await probeTargets([servers.httpsValid!.url], config({ caFiles: [] }));
    expect(untrusted.findings.find((f) => f.checkId === 'tls.certificate-invalid')).toMatchObject({ status: 'FAILED' });
    const wrongName = await probeTargets([servers.httpsValid!.url.replace('127.0.0.1', 'influx.example.test')], config());
    expect(wrongName.findings.every((f) => f.status === 'NOT_AVAILABLE')).toBe(true); // does not resolve: nothing contacted
  });
  it('tls.legacy-protocols: default TLS accepts 1.0/1.1; min-version tls1.2 refuses them', () => {
    expect(table('tls.legacy-protocols')).toMatchObject({ httpsValid: 'FAILED', tls12: 'PASSED' });
  });
  it('headers: missing security headers, CORS reflected, version disclosed', () => {
    expect(table('headers.security-headers-missing')).toMatchObject({ open: 'FAILED', httpsValid: 'FAILED' });
    expect(table('headers.cors-any-origin')).toMatchObject({ open: 'FAILED', admin: 'FAILED' });
    expect(docs.open!.findings.find((f) => f.checkId === 'headers.version-disclosed')).toMatchObject({
      status: 'FAILED',
      severity: 'INFORMATIONAL',
    });
  });
  it('findings carry the endpoint and no instance', () => {
    for (const f of docs.httpsValid!.findings) {
      expect(f.endpoint).toBe(servers.httpsValid!.url);
      expect(f.instanceId).toBeUndefined();
      expect(f.resource).toEqual({ type: 'Other', id: servers.httpsValid!.url });
    }
  });
});

describe('behind a hardened nginx (TLS 1.2+, headers with always, versions and CORS stripped, /debug closed)', () => {
  it('is still recognised as InfluxDB, and every endpoint check passes', () => {
    const doc = docs.proxied!;
    expect(doc.findings.length).toBeGreaterThan(8);
    expect(doc.findings.filter((f) => f.status !== 'PASSED').map((f) => `${f.checkId}: ${f.status} ${f.evidence.summary}`)).toEqual([]);
  });
});

describe('users.default-credentials (opt-in)', () => {
  it('is not run unless asked', () => expect(status('admin', 'users.default-credentials')).toBeUndefined());
  it('finds a well-known pair, reporting the username only', async () => {
    await influxQuery(servers.admin!.url, "CREATE USER root WITH PASSWORD 'root'", ['admin', 'S3cret-admin-pw']);
    const doc = await probeTargets([servers.admin!.url], config({ defaultCredentials: true }));
    const f = doc.findings.find((x) => x.checkId === 'users.default-credentials')!;
    expect(f).toMatchObject({ status: 'FAILED', severity: 'CRITICAL', evidence: { acceptedUsers: ['root'] } });
    expect(JSON.stringify(doc)).not.toMatch(/S3cret-admin-pw|r3ader-pw|"root:root"|cm9vdDpyb290/);
    const clean = await probeTargets([servers.pprofOff!.url], config({ defaultCredentials: true }));
    expect(clean.findings.find((x) => x.checkId === 'users.default-credentials')).toMatchObject({ status: 'PASSED' });
  });
});

describe('hostile and foreign endpoints', () => {
  it('a plain web server is not InfluxDB: NOT_AVAILABLE with the reason', async () => {
    const doc = await probeTargets([plainUrl], config());
    expect(doc.findings.length).toBeGreaterThan(5);
    expect(doc.findings.every((f) => f.status === 'NOT_AVAILABLE' && /not InfluxDB/.test(String(f.evidence.reason)))).toBe(true);
  });
  it('a port that accepts and never answers ends within the timeouts', async () => {
    const t0 = Date.now();
    const doc = await probeTargets([hangUrl], config());
    expect(Date.now() - t0).toBeLessThan(2 * (1000 + 1000 + 2500) + 1000);
    expect(doc.findings.every((f) => f.status === 'NOT_AVAILABLE')).toBe(true);
  });
  it('an endless body is read only to the cap, memory stays bounded', async () => {
    const before = process.memoryUsage().rss;
    const doc = await probeTargets([`http://${endlessUrl}`], config());
    expect(doc.findings.find((f) => f.checkId === 'headers.version-disclosed')).toMatchObject({ status: 'FAILED' });
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
  });
  it.each(['trickle', 'endlessHeaders', 'garbage', 'http09'])('%s: ends within the deadline as NOT_AVAILABLE', (name) => {
    const doc = docs[name]!;
    expect(doc.findings.length).toBeGreaterThan(5);
    expect(doc.findings.every((f) => f.status === 'NOT_AVAILABLE' && typeof f.evidence.reason === 'string')).toBe(true);
    expect(Date.parse(doc.finishedAt) - Date.parse(doc.startedAt)).toBeLessThan(15_000 + 1000);
  });
  it('a redirect to the metadata service is never followed', () => {
    const f = docs.redirect!.findings.find((x) => x.checkId === 'auth.disabled')!;
    expect(f).toMatchObject({ status: 'NOT_AVAILABLE' });
    expect(String(f.evidence.reason)).toMatch(/HTTP 302/);
  });
  it('link-local, metadata and disallowed targets are refused without contact', async () => {
    const doc = await probeTargets(['169.254.169.254', 'http://[fd00:ec2::254]:80', '[::ffff:169.254.169.254]:8086', '10.1.2.3'], config());
    const reasons = doc.findings.map((f) => String(f.evidence.reason));
    expect(reasons.some((r) => /169\.254\.169\.254 is in 169\.254\.0\.0\/16/.test(r))).toBe(true);
    expect(reasons.some((r) => /fd00:ec2::\/32/.test(r))).toBe(true);
    expect(reasons.some((r) => /10\.1\.2\.3 is outside the allowed target CIDRs/.test(r))).toBe(true);
    expect(doc.findings.every((f) => f.status === 'NOT_AVAILABLE')).toBe(true);
  });
  it('malformed targets and URLs with credentials are usage errors', async () => {
    await expect(probeTargets(['ftp://127.0.0.1'], config())).rejects.toMatchObject({ kind: 'usage' });
    await expect(probeTargets(['http://admin:pw@127.0.0.1:8086'], config())).rejects.toThrow(/credentials in URLs are refused/);
  });
});

describe('influxguard probe (the CLI)', () => {
  it('prints the CHECKS.md document with endpoint findings only, and fails on them', async () => {
    const r = await runCli(['probe', servers.open!.url, '--format', 'json', '--allow-cidr', '127.0.0.0/8'], {});
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as ScanDocument;
    expect(doc.scope).toEqual({ accounts: [], regions: [] });
    expect(doc.findings.find((f) => f.checkId === 'auth.disabled')).toMatchObject({
      status: 'FAILED',
      severity: 'HIGH',
      endpoint: servers.open!.url,
    });
    expect(doc.findings.every((f) => f.endpoint && !f.instanceId && !f.accountId)).toBe(true);
    const table = await runCli(['probe', servers.open!.url, '--allow-cidr', '127.0.0.0/8', '--fail-on', 'CRITICAL'], {});
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/FAILED\s+HIGH\s+auth\.disabled/);
  });
  it('a bad --allow-cidr is a usage-level error naming it', async () => {
    const r = await runCli(['probe', servers.open!.url, '--allow-cidr', '10.0.0.0/99'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--allow-cidr \("10.0.0.0\/99"\): is not a valid IPv4\/IPv6 CIDR/);
  });
});
