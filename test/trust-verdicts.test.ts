/**
 * Defects found by the adversarial review of the trust change, each pinned by
 * a test that failed before its fix: non-answers never PASS, a host verdict
 * standing in for an undecided probe never counts as complete evidence, and a
 * verdict that rests on an unreadable source is never complete (so it can
 * neither resolve nor lower an earlier finding).
 */
import { describe, expect, it } from '@jest/globals';
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { CHECKS } from '../lib/checks/index.js';
import { type Assessed, evaluateEndpoint, evaluateInstance } from '../lib/evaluate.js';
import { ec2InstanceSubject } from '../lib/kinds/ec2-instance/subject.js';
import {
  assessmentKey,
  fail,
  ok,
  type EndpointContext,
  type Finding,
  type HostEvidence,
  type HttpObservation,
  type ProbeEvidence,
} from '../lib/model.js';
import { findingId, toAsff } from '../lib/findings/asff.js';
import { planImports } from '../lib/publish/lifecycle.js';
import { ctx, hostEvidence, instance, net, open } from './support/fixtures.js';

const obs = (status: number, body = ''): HttpObservation => ({ status, headers: {}, body, truncated: false });
const probe = (over: Partial<ProbeEvidence> = {}): ProbeEvidence => ({
  endpoint: 'http://10.0.0.5:8086',
  address: '10.0.0.5',
  scheme: 'http',
  fingerprint: { flavour: 'influxdb-1', version: '1.8.10' },
  ping: ok(obs(204)),
  query: ok(obs(401, '{"error":"unable to parse authentication credentials"}')),
  jwt: ok(obs(401, '{"error":"signature is invalid"}')),
  error: ok(obs(401)),
  diagnostics: { '/debug/vars': ok({ status: 401 }), '/debug/pprof/': ok({ status: 401 }) },
  setup: ok(obs(404)),
  cors: ok({ sentOrigin: 'https://x.invalid' }),
  ...over,
});
const i = instance({ instanceId: 'i-1' });
const endpoint = (p: ProbeEvidence, host?: HostEvidence): EndpointContext => ({
  endpoint: p.endpoint,
  probed: true,
  evidence: { probe: ok(p), ...(host ? { host: ok(host) } : {}) },
  settings: { allowedPorts: [], certificateWarningDays: 30, defaultCredentials: false },
  instance: i,
  subject: ec2InstanceSubject(i),
  now: Date.parse('2026-11-29T00:00:00Z'),
});
const only = (id: string) => CHECKS.filter((c) => c.id === id);

describe('non-answers never PASS', () => {
  it.each([
    ['auth.no-admin-user', { query: ok(obs(502, 'bad gateway')) }],
    ['auth.v2-setup-open', { setup: ok(obs(502, 'bad gateway')) }],
    ['auth.diagnostics-unauthenticated', { diagnostics: { '/debug/vars': ok({ status: 401 }), '/debug/pprof/': fail('timeout') } }],
  ])('%s is NOT_AVAILABLE, and not assessed, when the server did not really answer', (id, over) => {
    const assessed: Assessed = new Set();
    const [f] = evaluateEndpoint(only(id), endpoint(probe(over as Partial<ProbeEvidence>)), assessed);
    expect(f!.status).toBe('NOT_AVAILABLE');
    expect(assessed.has(assessmentKey('i-1', id))).toBe(false);
  });
});

describe('the host standing in for an undecided probe', () => {
  it('decides the status but never makes the evaluation complete', () => {
    const host = hostEvidence({ 'http.auth-enabled': 'true' });
    const assessed: Assessed = new Set();
    const [f] = evaluateEndpoint(only('auth.disabled'), endpoint(probe({ query: fail('ECONNRESET') }), host), assessed);
    expect(f).toMatchObject({ status: 'PASSED', evidence: { decidedBy: 'host' } });
    expect(assessed.has(assessmentKey('i-1', 'auth.disabled'))).toBe(false);
  });
});

describe('a verdict resting on an unreadable source', () => {
  const world = open('sg-1', 'tcp', 22, '0.0.0.0/0');
  const unread = open('sg-1', 'tcp', 22, { unresolved: 'ec2:GetManagedPrefixListEntries failed: AccessDenied' }, 'pl-1');
  it('is not complete, and cannot lower the severity Security Hub holds', () => {
    const assessed: Assessed = new Set();
    const findings = evaluateInstance(only('net.unexpected-ports-open'), ctx({ net: net([unread]) }), assessed);
    expect(findings[0]!.status).not.toBe('PASSED');
    expect(assessed.has(assessmentKey(ctx().instance.instanceId, 'net.unexpected-ports-open'))).toBe(false);
    const before = evaluateInstance(only('net.unexpected-ports-open'), ctx({ net: net([world]) }));
    expect(before[0]).toMatchObject({ status: 'FAILED', severity: 'HIGH' });
    const active = new Map<string, AwsSecurityFinding>(
      before.map((f: Finding) => [findingId(f), toAsff(f, { now: '2026-11-28T00:00:00.000Z' })]),
    );
    const lowered = findings.map((f) => ({ ...f, severity: 'MEDIUM' as const }));
    const plan = planImports(
      lowered,
      active,
      { accountId: lowered[0]!.accountId!, region: lowered[0]!.region!, assessed, isGone: () => false },
      { now: new Date('2026-11-29T00:00:00Z'), refreshDays: 7 },
    );
    expect([...plan.imports()]).toEqual([]);
  });
});
