/** Branches of the endpoint checks that the real 1.6.7 servers cannot show (2.x, vulnerable builds, proxies). */
import { describe, expect, it } from '@jest/globals';
import { ENDPOINT_CHECKS } from '../../lib/checks/endpoint.js';
import { evaluateEndpoint } from '../../lib/evaluate.js';
import { fail, ok, type EndpointContext, type HttpObservation, type ProbeEvidence } from '../../lib/model.js';

const obs = (status: number, headers: Record<string, string> = {}, body = ''): HttpObservation => ({
  status,
  headers,
  body,
  truncated: false,
});
const NOW = Date.parse('2026-11-23T00:00:00Z');

function ctx(over: Partial<ProbeEvidence> = {}, extra: Partial<EndpointContext> = {}): EndpointContext {
  const probe: ProbeEvidence = {
    endpoint: 'https://127.0.0.1:8086',
    address: '127.0.0.1',
    scheme: 'https',
    fingerprint: { flavour: 'influxdb-1', version: '1.8.10', build: 'OSS' },
    ping: ok(obs(204, { 'x-influxdb-version': '1.8.10' })),
    query: ok(obs(401, {}, '{"error":"unable to parse authentication credentials"}')),
    jwt: ok(obs(401, {}, '{"error":"signature is invalid"}')),
    error: ok(obs(401)),
    diagnostics: { '/debug/vars': ok({ status: 401 }) },
    setup: ok(obs(404)),
    cors: ok({ sentOrigin: 'https://x.invalid' }),
    tls: ok({
      protocol: 'TLSv1.3',
      cipher: 'TLS_AES_128_GCM_SHA256',
      certificate: {
        subject: 'CN=a',
        issuer: 'CN=ca',
        validFrom: '2026-01-01T00:00:00Z',
        validTo: '2027-06-01T00:00:00Z',
        selfSigned: false,
        subjectAltNames: [],
        fingerprint256: 'x',
      },
      trusted: true,
      nameMatches: true,
      legacy: { TLSv1: 'refused', RC4: 'untestable' },
    }),
    ...over,
  };
  return {
    endpoint: probe.endpoint,
    probed: true,
    evidence: { probe: ok(probe) },
    settings: { allowedPorts: [], certificateWarningDays: 30, defaultCredentials: false },
    now: NOW,
    ...extra,
  };
}
const check = (id: string) => ENDPOINT_CHECKS.find((c) => c.id === id)!;
const first = (id: string, c: EndpointContext) => check(id).evaluate(c)[0]!;

describe('endpoint check branches', () => {
  it('auth.jwt-empty-secret: "user not found" for a random user proves the empty key was accepted', () => {
    expect(first('auth.jwt-empty-secret', ctx({ jwt: ok(obs(401, {}, '{"error":"user not found"}')) }))).toMatchObject({
      status: 'FAILED',
    });
    expect(first('auth.jwt-empty-secret', ctx())).toMatchObject({ status: 'PASSED' });
    expect(first('auth.jwt-empty-secret', ctx({ jwt: ok(obs(502)) }))).toMatchObject({ status: 'NOT_AVAILABLE' });
    expect(first('auth.jwt-empty-secret', ctx({ fingerprint: { flavour: 'influxdb-2' } }))).toMatchObject({ status: 'PASSED' });
  });
  it('auth.v2-setup-open', () => {
    const two = { fingerprint: { flavour: 'influxdb-2' as const, version: 'v2.7.1' } };
    expect(first('auth.v2-setup-open', ctx({ ...two, setup: ok(obs(200, {}, '{"allowed": true}')) }))).toMatchObject({ status: 'FAILED' });
    expect(first('auth.v2-setup-open', ctx({ ...two, setup: ok(obs(200, {}, '{"allowed": false}')) }))).toMatchObject({ status: 'PASSED' });
  });
  it('auth.no-admin-user on 2.x is decided by /api/v2/setup, never by the 1.x /query answer (issue 14)', () => {
    // What a fresh 2.7.12 answers: /query 401 (a token is required), setup allowed: no user exists at all.
    const fresh = {
      fingerprint: { flavour: 'influxdb-2' as const, version: 'v2.7.12' },
      query: ok(obs(401, {}, '{"code":"unauthorized"}')),
    };
    const open = first('auth.no-admin-user', ctx({ ...fresh, setup: ok(obs(200, {}, '{"allowed":true}')) }));
    expect(open).toMatchObject({ status: 'FAILED' });
    expect(open.summary).not.toMatch(/admin user exists/);
    expect(first('auth.no-admin-user', ctx({ ...fresh, setup: ok(obs(200, {}, '{"allowed":false}')) }))).toMatchObject({
      status: 'PASSED',
      summary: expect.stringMatching(/setup done/),
    });
    const [unknown] = evaluateEndpoint([check('auth.no-admin-user')], ctx({ ...fresh, setup: fail('ECONNRESET') }));
    expect(unknown).toMatchObject({ status: 'NOT_AVAILABLE' });
  });
  it('auth.disabled: an unexpected status is NOT_AVAILABLE, a failed probe says which', () => {
    expect(first('auth.disabled', ctx({ query: ok(obs(500)) }))).toMatchObject({ status: 'NOT_AVAILABLE' });
    const [f] = evaluateEndpoint([check('auth.disabled')], ctx({ query: fail('ECONNRESET') }));
    expect(f).toMatchObject({ status: 'NOT_AVAILABLE' });
    expect(f!.evidence.reason).toMatch(/unauthenticated SHOW DATABASES: ECONNRESET/);
  });
  it('headers: present on both responses passes; CORS "*" with authentication on is a WARNING', () => {
    const good = {
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'strict-transport-security': 'max-age=63072000',
    };
    expect(first('headers.security-headers-missing', ctx({ ping: ok(obs(204, good)), error: ok(obs(401, good)) }))).toMatchObject({
      status: 'PASSED',
    });
    expect(first('headers.security-headers-missing', ctx({ ping: ok(obs(204, good)), error: ok(obs(401, {})) }))).toMatchObject({
      status: 'FAILED',
    });
    expect(first('headers.cors-any-origin', ctx({ cors: ok({ sentOrigin: 'https://x.invalid', allowOrigin: '*' }) }))).toMatchObject({
      status: 'WARNING',
    });
    expect(first('headers.cors-any-origin', ctx())).toMatchObject({ status: 'PASSED' });
    expect(
      first('headers.cors-any-origin', ctx({ cors: ok({ sentOrigin: 'https://x.invalid', allowOrigin: 'https://x.invalid' }) })),
    ).toMatchObject({
      status: 'FAILED',
    });
    expect(first('headers.version-disclosed', ctx({ ping: ok(obs(204, {})) }))).toMatchObject({ status: 'PASSED' });
  });
  it('headers.cors-any-origin: "*" from an endpoint that answers without authentication FAILS (any page a user visits reads it)', () => {
    const star = ok({ sentOrigin: 'https://x.invalid', allowOrigin: '*' });
    const open = first('headers.cors-any-origin', ctx({ cors: star, query: ok(obs(200, {}, '{"results":[{"statement_id":0}]}')) }));
    expect(open).toMatchObject({ status: 'FAILED', details: { allowOrigin: '*', unauthenticated: true } });
    expect(open.summary).toMatch(/answers without authentication/);
    // Authentication on: "*" alone lets no page read data without credentials (a browser sends none with "*").
    expect(first('headers.cors-any-origin', ctx({ cors: star }))).toMatchObject({ status: 'WARNING', details: { unauthenticated: false } });
    // Whether it answers without authentication is unknown: "*" is still a WARNING, and says what is unknown.
    const unknown = first('headers.cors-any-origin', ctx({ cors: star, query: fail('ECONNRESET') }));
    expect(unknown).toMatchObject({ status: 'WARNING' });
    expect(unknown.summary).toMatch(/ECONNRESET/);
  });
  it('tls: not yet valid fails; certificate checks do not apply to plain HTTP', () => {
    const tls = ctx().evidence.probe.ok ? (ctx().evidence.probe as { value: ProbeEvidence }).value.tls! : fail('x');
    const future = tls.ok ? ok({ ...tls.value, certificate: { ...tls.value.certificate, validFrom: '2027-01-01T00:00:00Z' } }) : tls;
    expect(first('tls.certificate-invalid', ctx({ tls: future }))).toMatchObject({ status: 'FAILED', severity: 'MEDIUM' });
    expect(first('tls.legacy-protocols', ctx())).toMatchObject({ status: 'PASSED' });
    expect(
      evaluateEndpoint([check('tls.certificate-invalid'), check('tls.legacy-protocols')], ctx({ scheme: 'http', tls: undefined as never })),
    ).toEqual([]);
    const [f] = evaluateEndpoint([check('tls.certificate-invalid')], { ...ctx(), evidence: { probe: fail('connect ECONNREFUSED') } });
    expect(f).toMatchObject({ status: 'NOT_AVAILABLE' });
  });
  it('raises failing findings one level when the instance is reachable from the internet, and says why', () => {
    const [f] = evaluateEndpoint([check('auth.disabled')], ctx({ query: ok(obs(200)) }, { internetExposed: true }));
    expect(f).toMatchObject({ status: 'FAILED', severity: 'CRITICAL' });
    expect(f!.evidence.severityRaised).toMatch(/8086 is reachable from the internet/);
    const [p] = evaluateEndpoint([check('auth.disabled')], ctx({}, { internetExposed: true }));
    expect(p).toMatchObject({ status: 'PASSED', severity: 'INFORMATIONAL' });
  });
  it('when reachability could not be decided, a failing finding keeps its base severity but never lowers an earlier raised one', () => {
    const assessed = new Set<string>();
    const c = { ...ctx({ query: ok(obs(200)) }, { exposureUnknown: 'ec2:DescribeRouteTables failed: Throttling' }) };
    const [f] = evaluateEndpoint([check('auth.disabled')], c, assessed);
    expect(f).toMatchObject({ status: 'FAILED', severity: 'HIGH' });
    expect(String(f!.evidence.incomplete)).toContain('DescribeRouteTables');
    expect(assessed.size).toBe(0);
    // A pass needs no raising: it stays a complete answer.
    evaluateEndpoint([check('auth.disabled')], { ...ctx({}, { exposureUnknown: 'x' }) }, assessed);
    expect(assessed.size).toBe(1);
  });
});

describe('InfluxDB 3 (CHECKS.md: the applicability rule; cors with --disable-authz)', () => {
  const v3 = (over: Partial<ProbeEvidence> = {}) =>
    ctx({
      fingerprint: { flavour: 'influxdb-3' },
      ping: ok(obs(401, { 'content-length': '0', date: 'x' })),
      query: ok(obs(401, { 'content-length': '0', date: 'x' })),
      jwt: fail('not asked: a 1.x/2.x request that means nothing on InfluxDB 3'),
      setup: fail('not asked: a 1.x/2.x request that means nothing on InfluxDB 3'),
      diagnostics: { '/metrics': ok({ status: 401 }), '/health': ok({ status: 401 }) },
      cors: ok({ sentOrigin: 'https://x.invalid', allowOrigin: '*' }),
      v3: ok({ authRequired: true, openResources: [], processingEngine: null }),
      ...over,
    });
  const ids = (c: EndpointContext) => evaluateEndpoint(ENDPOINT_CHECKS, { ...c, settings: { ...c.settings, defaultCredentials: true } });

  it('the 1.x/2.x-only endpoint checks emit no finding; the others decide', () => {
    const findings = ids(v3());
    const byId = Object.fromEntries(findings.map((f) => [f.checkId, f.status]));
    for (const id of ['auth.no-admin-user', 'auth.jwt-empty-secret', 'auth.v2-setup-open', 'users.default-credentials'])
      expect(byId[id]).toBeUndefined();
    expect(byId).toMatchObject({
      'auth.disabled': 'PASSED',
      'auth.diagnostics-unauthenticated': 'PASSED',
      'headers.cors-any-origin': 'WARNING',
      'headers.version-disclosed': 'PASSED',
    });
    expect(findings.find((f) => f.checkId === 'auth.disabled')!.title).toBeDefined();
    expect(first('auth.disabled', v3()).summary).toBe('unauthenticated GET /api/v3/configure/database refused (401)');
  });

  it('headers.cors-any-origin: "*" while --disable-authz opened resources FAILS, naming them', () => {
    const open = v3({
      ping: ok(obs(200, { 'x-influxdb-version': '3.6.0', 'access-control-allow-origin': '*' })),
      v3: ok({ authRequired: true, openResources: ['ping', 'metrics'], processingEngine: null }),
    });
    expect(first('headers.cors-any-origin', open)).toMatchObject({
      status: 'FAILED',
      details: { openResources: ['ping', 'metrics'], unauthenticated: false },
    });
  });
});
