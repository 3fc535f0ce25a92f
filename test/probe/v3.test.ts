/**
 * InfluxDB 3 Core 3.6.0, real servers (the binary scripts/influxdb-build.sh
 * installs from ../shared/influxdb3/ into the cache), in the five
 * configurations: authentication on with no admin token yet; --without-auth;
 * --without-auth --plugin-dir; --disable-authz health,ping,metrics; TLS 1.3
 * only. `influxguard probe` gives the contract's answer for every endpoint
 * check that applies (none NOT_AVAILABLE where the probe decides), none for
 * the 1.x/2.x-only checks; it never creates a token (the test itself claims
 * the server afterwards: 201); an admin token given to the audit is read and
 * appears in no output format. Skipped where the binary is not installed
 * (said so); with IG_TEST_MATRIX=required (.ci/run) that is a failure.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { parseConfig } from '../../lib/config.js';
import { AuditCredentials } from '../../lib/evidence/audit/credentials.js';
import type { Finding, ScanDocument } from '../../lib/model.js';
import { probeRun } from '../../lib/probe.js';
import { allStarted, certificates, freePort, type RunningInfluxd } from '../../scripts/influxd.js';
import { createV3Token, influxdb3Binary, startInfluxdb3, type Influxdb3Variant } from '../../scripts/influxdb3.js';
import { runCli } from '../support/cli.js';

/**
 * A loopback imitation of 3.6.0 with authentication on, as measured (the facts
 * file, "InfluxDB 3 Core"): every path 401 with only content-length and date,
 * except the admin-token path, routed before authentication, where only POST is
 * served. It records every request the probe sends.
 */
async function recordingV3(proxy: Record<string, string> = {}): Promise<{ url: string; seen: string[]; close: () => void }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.method === 'OPTIONS') res.writeHead(204, { 'access-control-allow-origin': '*' }).end();
    else if (req.url === '/api/v3/configure/token/admin' && req.method === 'POST')
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"token":"apiv3_created-by-the-probe"}');
    else if (req.url === '/api/v3/configure/token/admin') res.writeHead(404, { 'access-control-allow-origin': '*' }).end('not found');
    else res.writeHead(401, { 'content-length': '0', ...proxy }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen, close: () => server.close() };
}

describe('what the probe sends to InfluxDB 3 (a recording imitation with authentication on)', () => {
  it('only GET, HEAD and OPTIONS; under /api/v3/configure/token/ only the GET that routes to a 404; no 1.x/2.x request', async () => {
    const fake = await recordingV3();
    try {
      const config = parseConfig({ probe: { allowedCidrs: ['127.0.0.0/8'], connectTimeoutMs: 1000, responseTimeoutMs: 2000 } });
      const doc = (await probeRun([fake.url], config)).document;
      expect(doc.findings.find((f) => f.checkId === 'auth.disabled')).toMatchObject({ status: 'PASSED' });
      for (const r of fake.seen) expect(r).toMatch(/^(GET|HEAD|OPTIONS) /);
      expect(fake.seen.filter((r) => r.includes('/token'))).toEqual(['GET /api/v3/configure/token/admin']);
      expect(fake.seen.filter((r) => /\/query|\/api\/v2\/|\/debug\//.test(r))).toEqual([]);
      expect(fake.seen.length).toBeLessThanOrEqual(7);
    } finally {
      fake.close();
    }
  });

  it("auth off behind a proxy that strips the version headers: /ping's JSON body tells 3.x; a version with control characters is not taken", async () => {
    const serve = (version: string) =>
      createServer((req, res) => {
        if (req.url === '/ping') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ version, revision: 'x' }));
        else if (req.url?.startsWith('/api/v3/configure/database')) res.writeHead(200).end('[{"iox::database":"_internal"}]');
        else res.writeHead(404).end('not found');
      });
    const config = parseConfig({ probe: { allowedCidrs: ['127.0.0.0/8'], connectTimeoutMs: 1000, responseTimeoutMs: 2000 } });
    for (const [version, recognised] of [
      ['3.6.0', true],
      ['3.6.0\u001b[31mEVIL', false],
    ] as const) {
      const server = serve(version);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const doc = (await probeRun([`http://127.0.0.1:${(server.address() as { port: number }).port}`], config)).document;
        const f = doc.findings.find((x) => x.checkId === 'auth.disabled')!;
        expect({ version, status: f.status }).toEqual({ version, status: recognised ? 'FAILED' : 'NOT_AVAILABLE' });
        expect(JSON.stringify(doc)).not.toMatch(/\\u001b|\u001b|EVIL/);
      } finally {
        server.close();
      }
    }
  });

  it('behind a proxy that adds its own header to the 401 (server: nginx), still recognised by the admin-token path', async () => {
    const fake = await recordingV3({ server: 'nginx' });
    try {
      const config = parseConfig({ probe: { allowedCidrs: ['127.0.0.0/8'], connectTimeoutMs: 1000, responseTimeoutMs: 2000 } });
      const doc = (await probeRun([fake.url], config)).document;
      expect(doc.findings.find((f) => f.checkId === 'auth.disabled')).toMatchObject({ status: 'PASSED' });
      expect(doc.findings.find((f) => f.checkId === 'auth.no-admin-user')).toBeUndefined();
    } finally {
      fake.close();
    }
  });
});

const found = influxdb3Binary();
const binary = 'binary' in found ? found.binary : undefined;

it('InfluxDB 3.6.0 is installed (required by .ci/run)', () => {
  if (process.env.IG_TEST_MATRIX === 'required') expect('missing' in found ? found.missing : undefined).toBeUndefined();
  if (!binary) console.warn(`test/probe/v3.test.ts skipped: ${'missing' in found ? found.missing : ''}`);
});

const VARIANTS: Record<string, Influxdb3Variant> = {
  authOn: {},
  withoutAuth: { withoutAuth: true },
  plugins: { withoutAuth: true, plugins: true },
  disableAuthz: { disableAuthz: 'health,ping,metrics' },
  tls13: { tls: { name: 'valid', minimum: 'tls-1.3' } },
};
/** The checks the contract says do not apply to InfluxDB 3 (1.x/2.x-only): no finding at all. */
const NOT_ON_V3 = [
  'auth.no-admin-user',
  'auth.v2-setup-open',
  'auth.jwt-empty-secret',
  'users.default-credentials',
  'users.admin-privileges',
  'users.stale-unprivileged',
  'users.default-admin-name',
  'tokens.write-all-buckets',
  'tokens.inactive-user-active',
];

(binary ? describe : describe.skip)('InfluxDB 3 Core 3.6.0', () => {
  const servers: Record<string, RunningInfluxd> = {};
  const docs: Record<string, ScanDocument> = {};
  const CA = join(certificates(), 'ca.pem');
  const config = parseConfig({
    probe: { allowedCidrs: ['127.0.0.0/8'], connectTimeoutMs: 2000, tlsTimeoutMs: 2000, responseTimeoutMs: 5000, caFiles: [CA] },
    audit: { ca: readFileSync(CA, 'utf8') },
  });
  const finding = (key: string, id: string): Finding | undefined => docs[key]!.findings.find((f) => f.checkId === id);
  const status = (key: string, id: string) => finding(key, id)?.status;
  const table = (id: string) => Object.fromEntries(Object.keys(VARIANTS).map((k) => [k, status(k, id)]));

  beforeAll(async () => {
    await allStarted(
      Object.entries(VARIANTS).map(async ([name, v]) => {
        servers[name] = await startInfluxdb3(binary!, v);
        docs[name] = (await probeRun([servers[name].url], config)).document;
      }),
    );
  }, 120_000);
  afterAll(() => Promise.all(Object.values(servers).map((s) => s.stop())));

  it('is recognised as InfluxDB 3 in every configuration: no probe failure, nothing "not checked yet"', () => {
    for (const [name, doc] of Object.entries(docs)) {
      const text = JSON.stringify(doc);
      expect({ name, notChecked: /not checked yet|not InfluxDB/.test(text) }).toEqual({ name, notChecked: false });
      // The recovery listener is the one 3.x check the probe never decides (CHECKS.md: never anything to a recovery port).
      for (const f of doc.findings.filter((x) => x.checkId !== 'auth.v3-recovery-listener-exposed'))
        expect({ name, id: f.checkId, status: f.status }).not.toMatchObject({ status: 'NOT_AVAILABLE' });
    }
  });

  it('http:// to the TLS port (3.x answers plain HTTP with a raw TLS alert): incomplete, saying the port speaks TLS', async () => {
    const plain = servers.tls13!.url.replace('https://', 'http://');
    const run = await probeRun([plain], config);
    expect(run.incomplete).toHaveLength(1);
    expect(run.incomplete[0]).toMatch(/this port speaks TLS: try https:\/\/127\.0\.0\.1:\d+/);
  });

  it('the 1.x/2.x-only checks emit no finding on InfluxDB 3', () => {
    for (const name of Object.keys(VARIANTS))
      for (const id of NOT_ON_V3) expect({ name, id, finding: finding(name, id) }).toEqual({ name, id, finding: undefined });
  });

  it('auth.disabled: the unauthenticated read of the v3 API answers 200 only without auth', () => {
    expect(table('auth.disabled')).toEqual({
      authOn: 'PASSED',
      withoutAuth: 'FAILED',
      plugins: 'FAILED',
      disableAuthz: 'PASSED',
      tls13: 'PASSED',
    });
    expect(finding('withoutAuth', 'auth.disabled')!.evidence.summary).toMatch(/GET \/api\/v3\/configure\/database answered 200/);
  });

  it('auth.diagnostics-unauthenticated: /metrics and /health open under --disable-authz and --without-auth', () => {
    expect(table('auth.diagnostics-unauthenticated')).toEqual({
      authOn: 'PASSED',
      withoutAuth: 'FAILED',
      plugins: 'FAILED',
      disableAuthz: 'FAILED',
      tls13: 'PASSED',
    });
    expect(finding('disableAuthz', 'auth.diagnostics-unauthenticated')!.evidence.paths).toEqual({ '/metrics': 200, '/health': 200 });
    expect(finding('authOn', 'auth.diagnostics-unauthenticated')!.evidence.paths).toEqual({ '/metrics': 401, '/health': 401 });
  });

  it('tls.*: plain HTTP fails; the TLS 1.3-only server with a test-CA certificate passes all three', () => {
    expect(table('tls.disabled')).toEqual({
      authOn: 'FAILED',
      withoutAuth: 'FAILED',
      plugins: 'FAILED',
      disableAuthz: 'FAILED',
      tls13: 'PASSED',
    });
    expect(status('tls13', 'tls.certificate-invalid')).toBe('PASSED');
    const legacy = finding('tls13', 'tls.legacy-protocols')!;
    expect(legacy.status).toBe('PASSED');
    expect(legacy.evidence.negotiated).toMatchObject({ protocol: 'TLSv1.3' });
    expect(finding('authOn', 'tls.legacy-protocols')).toBeUndefined();
  });

  it('headers: none set by 3.x; CORS * fails where something answers without authentication, warns otherwise', () => {
    expect(new Set(Object.values(table('headers.security-headers-missing')))).toEqual(new Set(['FAILED']));
    expect(table('headers.cors-any-origin')).toEqual({
      authOn: 'WARNING',
      withoutAuth: 'FAILED',
      plugins: 'FAILED',
      disableAuthz: 'FAILED',
      tls13: 'WARNING',
    });
    expect(finding('authOn', 'headers.cors-any-origin')!.evidence.allowOrigin).toBe('*');
    expect(finding('disableAuthz', 'headers.cors-any-origin')!.evidence.openResources).toEqual(['health', 'ping', 'metrics']);
  });

  it('headers.version-disclosed: /ping tells 3.6.0 Core where it answers without a token; a 401 tells nothing', () => {
    expect(table('headers.version-disclosed')).toEqual({
      authOn: 'PASSED',
      withoutAuth: 'FAILED',
      plugins: 'FAILED',
      disableAuthz: 'FAILED',
      tls13: 'PASSED',
    });
    expect(finding('withoutAuth', 'headers.version-disclosed')!.evidence.headers).toEqual({
      'x-influxdb-version': '3.6.0',
      'x-influxdb-build': 'Core',
    });
  });

  it('the probe evidence: auth, the resources --disable-authz opened, the processing engine (told by a read of system.nodes)', async () => {
    const { probeEndpoint } = await import('../../lib/evidence/probe/index.js');
    const { resolveTarget, parseTarget } = await import('../../lib/evidence/probe/target.js');
    const facts: Record<string, unknown> = {};
    const fingerprints: Record<string, unknown> = {};
    for (const [name, s] of Object.entries(servers)) {
      const t = await resolveTarget(parseTarget(s.url, 8086), ['127.0.0.0/8']);
      const p = await probeEndpoint(t, {
        timeouts: { connectMs: 2000, tlsMs: 2000, responseMs: 5000 },
        deadlineMs: 20_000,
      });
      expect(p.ok).toBe(true);
      if (!p.ok) continue;
      facts[name] = p.value.v3;
      fingerprints[name] = p.value.fingerprint;
      expect(p.value.jwt.ok || p.value.setup.ok).toBe(false);
    }
    expect(facts).toEqual({
      authOn: { ok: true, value: { authRequired: true, openResources: [], processingEngine: null } },
      withoutAuth: { ok: true, value: { authRequired: false, openResources: [], processingEngine: false, recoveryListener: false } },
      plugins: { ok: true, value: { authRequired: false, openResources: [], processingEngine: true, recoveryListener: false } },
      disableAuthz: { ok: true, value: { authRequired: true, openResources: ['health', 'ping', 'metrics'], processingEngine: null } },
      tls13: { ok: true, value: { authRequired: true, openResources: [], processingEngine: null } },
    });
    expect(fingerprints).toEqual({
      authOn: { flavour: 'influxdb-3' },
      withoutAuth: { flavour: 'influxdb-3', version: '3.6.0', build: 'Core' },
      plugins: { flavour: 'influxdb-3', version: '3.6.0', build: 'Core' },
      disableAuthz: { flavour: 'influxdb-3', version: '3.6.0', build: 'Core' },
      tls13: { flavour: 'influxdb-3' },
    });
  });

  it('the 3.x checks from the probe: an unclaimed admin token is a WARNING (never decided by the token endpoint), the processing engine open without auth FAILS', () => {
    const of = (name: string, id: string) => docs[name]!.findings.find((f) => f.checkId === id);
    expect(of('authOn', 'auth.v3-admin-token-unclaimed')).toMatchObject({ status: 'WARNING' });
    expect(of('plugins', 'host.v3-processing-engine-open')).toMatchObject({ status: 'FAILED', severity: 'CRITICAL' });
    expect(of('withoutAuth', 'host.v3-processing-engine-open')).toMatchObject({ status: 'PASSED' });
  });

  it('host.version-vulnerable from `influxguard probe` alone (CHECKS.md: host, probe): the 3.6.0 /ping tells FAILS (end-of-life); a 401 tells no version: no finding', () => {
    expect(table('host.version-vulnerable')).toEqual({
      authOn: undefined,
      withoutAuth: 'FAILED',
      plugins: 'FAILED',
      disableAuthz: 'FAILED',
      tls13: undefined,
    });
    const f = finding('disableAuthz', 'host.version-vulnerable')!;
    expect(f).toMatchObject({ severity: 'MEDIUM', endpoint: servers.disableAuthz!.url, resource: { type: 'Other' } });
    expect(f.evidence).toMatchObject({ version: '3.6.0', endOfLife: true, decidedBy: 'probe' });
  });

  it('auth.v3-recovery-listener-exposed from the probe when the server answers without a token: no recovery flag in system.nodes PASSES; one there (its address masked by the server) is NOT_AVAILABLE, never a pass', async () => {
    expect(table('auth.v3-recovery-listener-exposed')).toEqual({
      authOn: 'NOT_AVAILABLE',
      withoutAuth: 'PASSED',
      plugins: 'PASSED',
      disableAuthz: 'NOT_AVAILABLE',
      tls13: 'NOT_AVAILABLE',
    });
    expect(finding('withoutAuth', 'auth.v3-recovery-listener-exposed')!.evidence).toMatchObject({ decidedBy: 'probe' });
    const recoveryPort = await freePort();
    const recovering = await startInfluxdb3(binary!, { withoutAuth: true, recoveryBind: `127.0.0.1:${recoveryPort}` });
    try {
      const doc = (await probeRun([recovering.url], config)).document;
      const f = doc.findings.find((x) => x.checkId === 'auth.v3-recovery-listener-exposed')!;
      expect(f.status).toBe('NOT_AVAILABLE');
      expect(String(f.evidence.reason)).toMatch(/admin-token-recovery-http-bind.*masks its address/);
    } finally {
      await recovering.stop();
    }
  }, 60_000);

  it('probing never creates a token: after the probes and a full CLI probe, the test claims the unclaimed server (201)', async () => {
    const cli = await runCli(['probe', servers.authOn!.url, '--allow-cidr', '127.0.0.0/8', '--format', 'json', '--fail-on', 'none'], {});
    expect(cli.code).toBe(0);
    expect(cli.stdout).not.toMatch(/apiv3_/);
    const claimed = await createV3Token(servers.authOn!.url, 'admin');
    expect(claimed.status).toBe(201);
    expect(claimed.token).toMatch(/^apiv3_/);
    // Once claimed, the same request is refused: 201 above was the first admin token.
    expect((await createV3Token(servers.authOn!.url, 'admin')).status).toBe(409);
  });

  describe('the audit with an admin token (TLS 1.3 server, test CA given as the operator CA)', () => {
    const tokens: string[] = [];
    let audited: ScanDocument;

    beforeAll(async () => {
      const first = await createV3Token(servers.tls13!.url, 'admin');
      expect(first.status).toBe(201);
      tokens.push(first.token!);
      const second = await createV3Token(servers.tls13!.url, 'named_admin', { token: first.token!, name: 'ci-pipeline' });
      expect(second.status).toBe(201);
      tokens.push(second.token!);
      audited = (await probeRun([servers.tls13!.url], config, { credentials: AuditCredentials.token(first.token!) })).document;
    }, 60_000);

    it('tokens.all-access-excess counts the admin tokens (*:*:*) of system.tokens: two, at most one expected', () => {
      const f = audited.findings.find((x) => x.checkId === 'tokens.all-access-excess')!;
      expect(f).toMatchObject({ status: 'FAILED', severity: 'MEDIUM' });
      expect(f.evidence.adminTokens).toEqual([{ name: '_admin' }, { name: 'ci-pipeline' }]);
      for (const id of NOT_ON_V3) expect(audited.findings.find((x) => x.checkId === id)).toBeUndefined();
    });

    it('auth.v3-admin-token-unclaimed: the audit sees an admin token, so the server is claimed (PASSED)', () => {
      expect(audited.findings.find((x) => x.checkId === 'auth.v3-admin-token-unclaimed')).toMatchObject({ status: 'PASSED' });
    });

    it('the audit evidence: names, admin, expiry and the processing engine, read with GET; never a token or its hash', async () => {
      const { gatherAudit } = await import('../../lib/evidence/audit/gather.js');
      const { parseTarget } = await import('../../lib/evidence/probe/target.js');
      const a = await gatherAudit(parseTarget(servers.tls13!.url), AuditCredentials.token(tokens[0]!), ['127.0.0.0/8'], config);
      expect(a).toEqual({
        ok: true,
        value: {
          flavour: 'influxdb-3',
          endpoint: servers.tls13!.url,
          tokens: [
            { name: '_admin', admin: true },
            { name: 'ci-pipeline', admin: true },
          ],
          processingEngine: { enabled: false, triggers: 0 },
        },
      });
    });

    it('a server without authentication takes any token: the audit proves no admin token, auth.v3-admin-token-unclaimed says nothing (auth.disabled FAILS)', async () => {
      const open = await startInfluxdb3(binary!, { withoutAuth: true, tls: { name: 'valid' } });
      try {
        const doc = (await probeRun([open.url], config, { credentials: AuditCredentials.token(`apiv3_${'n'.repeat(86)}`) })).document;
        expect(doc.findings.find((x) => x.checkId === 'auth.disabled')).toMatchObject({ status: 'FAILED' });
        expect(doc.findings.find((x) => x.checkId === 'auth.v3-admin-token-unclaimed')).toBeUndefined();
      } finally {
        await open.stop();
      }
    }, 60_000);

    it('a token the server refuses: tokens.all-access-excess NOT_AVAILABLE saying so, never a pass', async () => {
      const wrong = `apiv3_${'x'.repeat(86)}`;
      const doc = (await probeRun([servers.tls13!.url], config, { credentials: AuditCredentials.token(wrong) })).document;
      const f = doc.findings.find((x) => x.checkId === 'tokens.all-access-excess')!;
      expect(f.status).toBe('NOT_AVAILABLE');
      expect(String(f.evidence.reason)).toMatch(/the audit token was refused \(HTTP 401 on \/ping\)/);
      for (const id of NOT_ON_V3) expect(doc.findings.find((x) => x.checkId === id)).toBeUndefined();
      expect(JSON.stringify(doc)).not.toContain(wrong);
    });

    it('no token value (nor its hash) appears in any output format of the CLI', async () => {
      const base = ['probe', servers.tls13!.url, '--allow-cidr', '127.0.0.0/8', '--audit-ca', CA, '--fail-on', 'none'];
      for (const format of ['table', 'json', 'ocsf', 'csv', 'html']) {
        const r = await runCli([...base, '--format', format, '--credentials-env', 'IG_V3_TOKEN'], { IG_V3_TOKEN: tokens[0]! });
        expect({ format, code: r.code }).toEqual({ format, code: 0 });
        const out = `${r.stdout}${r.stderr}`;
        if (format === 'json') expect(out).toMatch(/"tokens\.all-access-excess"/);
        for (const t of tokens)
          expect({ format, leaked: out.includes(t) || out.includes(t.slice(6, 30)) }).toEqual({ format, leaked: false });
        expect({ format, prefix: /apiv3_/.test(out) }).toEqual({ format, prefix: false });
      }
    }, 120_000);
  });
});
