/** The instance checks of issue 31: IMDSv1 (raised by the same instance's probe), user data and plain-HTTP listeners. */
import { describe, expect, it } from '@jest/globals';
import { imdsV1Allowed, loadBalancerPlaintext, userDataSecrets } from '../../lib/checks/instance.js';
import { evaluateInstance } from '../../lib/evaluate.js';
import { fail, ok, type HttpObservation, type ProbeEvidence } from '../../lib/model.js';
import { ctx, lbRoute, net } from '../support/fixtures.js';

const obs = (status: number, body = ''): HttpObservation => ({ status, headers: {}, body, truncated: false });
const probe = (over: Partial<ProbeEvidence> = {}): ProbeEvidence => ({
  endpoint: 'http://127.0.0.1:8086',
  address: '127.0.0.1',
  scheme: 'http',
  fingerprint: { flavour: 'influxdb-1' },
  ping: ok(obs(204)),
  query: ok(obs(401)),
  jwt: ok(obs(401)),
  error: ok(obs(401)),
  diagnostics: {},
  setup: ok(obs(404)),
  cors: ok({ sentOrigin: 'https://x.invalid' }),
  ...over,
});
const V1 = ok({ httpEndpoint: 'enabled', httpTokens: 'optional' });

describe('ec2.imds-v1-allowed', () => {
  it('MEDIUM for IMDSv1; PASSED for IMDSv2 or a disabled endpoint', () => {
    expect(imdsV1Allowed.evaluate(ctx({ evidence: { imds: V1 } }))).toEqual([
      expect.objectContaining({ status: 'FAILED', details: { httpEndpoint: 'enabled', httpTokens: 'optional' } }),
    ]);
    expect(imdsV1Allowed.evaluate(ctx({ evidence: { imds: V1 } }))[0]!.severity).toBeUndefined();
    for (const md of [
      { httpEndpoint: 'enabled', httpTokens: 'required' },
      { httpEndpoint: 'disabled', httpTokens: 'optional' },
    ])
      expect(imdsV1Allowed.evaluate(ctx({ evidence: { imds: ok(md) } }))[0]!.status).toBe('PASSED');
  });
  it('HIGH when the same instance answers unauthenticated queries, or its 2.x setup is open', () => {
    const open = imdsV1Allowed.evaluate(ctx({ evidence: { imds: V1, probe: ok(probe({ query: ok(obs(200)) })) } }))[0]!;
    expect(open).toMatchObject({ status: 'FAILED', severity: 'HIGH' });
    expect(open.summary).toContain('unauthenticated queries');
    const setup = probe({ fingerprint: { flavour: 'influxdb-2' }, setup: ok(obs(200, '{"allowed": true}')) });
    expect(imdsV1Allowed.evaluate(ctx({ evidence: { imds: V1, probe: ok(setup) } }))[0]).toMatchObject({ severity: 'HIGH' });
    const v3 = probe({
      fingerprint: { flavour: 'influxdb-3' },
      v3: ok({ authRequired: false, openResources: [], processingEngine: null }),
    });
    expect(imdsV1Allowed.evaluate(ctx({ evidence: { imds: V1, probe: ok(v3) } }))[0]).toMatchObject({ severity: 'HIGH' });
    // An endpoint that wants credentials leaves it MEDIUM.
    expect(imdsV1Allowed.evaluate(ctx({ evidence: { imds: V1, probe: ok(probe()) } }))[0]!.severity).toBeUndefined();
  });
  it('a failed probe leaves it MEDIUM but incomplete: it never lowers an earlier HIGH', () => {
    const [o] = imdsV1Allowed.evaluate(ctx({ evidence: { imds: V1, probe: fail('connect ECONNREFUSED') } }));
    expect(o).toMatchObject({ status: 'FAILED', incomplete: expect.stringContaining('ECONNREFUSED') });
  });
  it('NOT_AVAILABLE with the reason when DescribeInstances said nothing of it; silent when not gathered', () => {
    const [f] = evaluateInstance([imdsV1Allowed], ctx({ evidence: { imds: fail('no MetadataOptions') } }));
    expect(f).toMatchObject({ status: 'NOT_AVAILABLE', evidence: { reason: 'no MetadataOptions' } });
    expect(evaluateInstance([imdsV1Allowed], ctx())).toEqual([]);
  });
});

describe('secrets.user-data', () => {
  it('FAILED HIGH with names and lines; PASSED when clean or empty; NOT_AVAILABLE when the read was denied', () => {
    const sightings = [
      { name: 'INFLUX_TOKEN', line: 4 },
      { name: 'influx -p', line: 7, part: 2 },
    ];
    const [f] = evaluateInstance([userDataSecrets], ctx({ evidence: { userData: ok({ empty: false, sightings }) } }));
    expect(f).toMatchObject({ status: 'FAILED', severity: 'HIGH', evidence: { credentials: sightings } });
    expect(f!.evidence.summary).toBe('the user data holds a credential in clear: INFLUX_TOKEN (line 4), influx -p (part 2, line 7)');
    expect(userDataSecrets.evaluate(ctx({ evidence: { userData: ok({ empty: false, sightings: [] }) } }))[0]!.status).toBe('PASSED');
    expect(userDataSecrets.evaluate(ctx({ evidence: { userData: ok({ empty: true, sightings: [] }) } }))[0]!.summary).toContain(
      'no user data',
    );
    const reason = 'ec2:DescribeInstanceAttribute failed: UnauthorizedOperation';
    const [na] = evaluateInstance([userDataSecrets], ctx({ evidence: { userData: fail(reason) } }));
    expect(na).toMatchObject({ status: 'NOT_AVAILABLE', evidence: { reason } });
  });
  it('user data past the size bound: a clean verdict is incomplete', () => {
    const [o] = userDataSecrets.evaluate(ctx({ evidence: { userData: ok({ empty: false, sightings: [], truncated: true }) } }));
    expect(o).toMatchObject({ status: 'PASSED', incomplete: expect.stringContaining('larger than the bound') });
  });
});

describe('tls.load-balancer-plaintext', () => {
  const http = (port: number, target = 8086) =>
    lbRoute({ listener: { port, protocol: 'HTTP' }, target: { port: target, kind: 'instance' } });
  it('an internet-facing HTTP listener forwarding to 8086 (or 8181) is HIGH, one finding per load balancer', () => {
    const outcomes = loadBalancerPlaintext.evaluate(
      ctx({ net: net([], { loadBalancers: ok({ routes: [http(80), http(8080), http(81, 8181)], unknown: [] }) }) }),
    );
    expect(outcomes).toEqual([
      expect.objectContaining({
        status: 'FAILED',
        severity: 'HIGH',
        resource: { type: 'AwsElbv2LoadBalancer', id: lbRoute().lb.id },
        details: expect.objectContaining({ listeners: ['HTTP 80 → 8086', 'HTTP 8080 → 8086', 'HTTP 81 → 8181'] }),
      }),
    ]);
  });
  it('HTTPS, an NLB TCP listener, or HTTP to another port pass', () => {
    const routes = [
      lbRoute(),
      lbRoute({ lb: { ...lbRoute().lb, kind: 'network' }, listener: { port: 8086, protocol: 'TCP' } }),
      http(80, 3000),
    ];
    expect(loadBalancerPlaintext.evaluate(ctx({ net: net([], { loadBalancers: ok({ routes, unknown: [] }) }) }))).toEqual([
      expect.objectContaining({ status: 'PASSED' }),
    ]);
  });
  // Fails on the old code (MEDIUM was never given: internal load balancers were not in the evidence).
  it('an internal HTTP listener forwarding to 8086 is MEDIUM; an internet-facing one beside it stays HIGH', () => {
    const internal = lbRoute({
      lb: { ...lbRoute().lb, id: 'arn:internal', name: 'internal-alb', internal: true },
      listener: { port: 80, protocol: 'HTTP' },
      target: { port: 8086, kind: 'instance' },
    });
    const outcomes = loadBalancerPlaintext.evaluate(
      ctx({
        net: net([], {
          loadBalancers: ok({ routes: [http(80)], unknown: [] }),
          internalLoadBalancers: ok({ routes: [internal], unknown: [] }),
        }),
      }),
    );
    expect(outcomes.map((o) => [o.severity, o.resource?.id, o.details?.scheme])).toEqual([
      ['HIGH', lbRoute().lb.id, 'internet-facing'],
      ['MEDIUM', 'arn:internal', 'internal'],
    ]);
    expect(outcomes[1]!.summary).toBe('internal load balancer internal-alb forwards plain HTTP to InfluxDB: HTTP 80 → 8086');
  });
  // Fails on the old code (PASSED, incomplete): a load balancer that could not be read may forward plain HTTP here.
  it('a load balancer (internet-facing or internal) that could not be read is NOT_AVAILABLE with the reason, never a pass', () => {
    const [o] = evaluateInstance(
      [loadBalancerPlaintext],
      ctx({ net: net([], { loadBalancers: ok({ routes: [], unknown: [{ lb: 'lb-1', reason: 'AccessDenied' }] }) }) }),
    );
    expect(o).toMatchObject({ status: 'NOT_AVAILABLE', evidence: { reason: expect.stringContaining('lb-1: AccessDenied') } });
    const [i] = evaluateInstance(
      [loadBalancerPlaintext],
      ctx({
        net: net([], {
          loadBalancers: ok({ routes: [], unknown: [] }),
          internalLoadBalancers: ok({ routes: [], unknown: [{ lb: 'int-1', reason: 'DescribeListeners: AccessDenied' }] }),
        }),
      }),
    );
    expect(i).toMatchObject({ status: 'NOT_AVAILABLE', evidence: { reason: expect.stringContaining('int-1: DescribeListeners') } });
    // A failed listing is unknown for both: named once.
    const listing = { lb: 'Application and Network Load Balancers', reason: 'DescribeLoadBalancers: AccessDenied' };
    const [both] = evaluateInstance(
      [loadBalancerPlaintext],
      ctx({
        net: net([], {
          loadBalancers: ok({ routes: [], unknown: [listing] }),
          internalLoadBalancers: ok({ routes: [], unknown: [listing] }),
        }),
      }),
    );
    expect(both!.evidence.reason).toBe(
      'load balancers not fully read: Application and Network Load Balancers: DescribeLoadBalancers: AccessDenied',
    );
    const [f] = evaluateInstance([loadBalancerPlaintext], ctx({ net: net([], { loadBalancers: fail('DescribeLoadBalancers denied') }) }));
    expect(f).toMatchObject({ status: 'NOT_AVAILABLE', evidence: { reason: 'DescribeLoadBalancers denied' } });
  });
});
