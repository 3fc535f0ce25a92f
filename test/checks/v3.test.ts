/**
 * The InfluxDB 3 checks (lib/checks/v3.ts) and the 3.x host verdicts of existing checks, on hand-built evidence:
 * FAILED, PASSED, WARNING and NOT_AVAILABLE as CHECKS.md says, silence on 1.x/2.x subjects, and no secret value
 * in any finding. The real `influxdb3 serve` side is test/host/v3.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import { CHECKS } from '../../lib/checks/index.js';
import { httpApiPorts, portExposureChecks, unexpectedPortsOpen } from '../../lib/checks/net.js';
import { instanceApiPorts } from '../../lib/exposure/api-ports.js';
import { evaluateEndpoint, evaluateInstance } from '../../lib/evaluate.js';
import type {
  AuditEvidence,
  BucketExposure,
  EndpointContext,
  Finding,
  HostEvidence,
  ProbeEvidence,
  Result,
  V3ProbeFacts,
} from '../../lib/model.js';
import { objectStorePublic } from '../../lib/checks/v3.js';
import { objectStoreBuckets } from '../../lib/evidence/object-store.js';
import { fail, ok } from '../../lib/model.js';
import { checkSettings } from '../../lib/evidence/index.js';
import { parseConfig } from '../../lib/config.js';
import { ctx, hostEvidence, hostProcess, instance, judgeHost, net, open } from '../support/fixtures.js';

type Proc = HostEvidence['processes'][number];
const SECRET = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';

/** One `influxdb3 serve` process as the collector reports it. */
const v3 = (over: Partial<Proc> = {}): Proc =>
  hostProcess({
    name: 'influxdb3',
    user: 'influxdb3',
    cmdline: '/usr/bin/influxdb3 serve',
    configPath: '',
    configSource: 'defaults',
    flavour: 'influxdb-3',
    version: '3.6.0',
    flags: { 'node-id': 'n1', 'object-store': 'file', 'data-dir': '/var/lib/influxdb3' },
    catalog: { path: '/var/lib/influxdb3/n1/catalog/v2', format: 'idb3.004', adminToken: true, files: 4 },
    ...over,
  });
const host3 = (...processes: Proc[]): HostEvidence => ({ ...hostEvidence(), version: '3.6.0', processes });
const flags = (f: Record<string, string>) => ({ 'node-id': 'n1', 'object-store': 'file', 'data-dir': '/d', ...f });

const byId = (fs: Finding[], id: string) => fs.filter((f) => f.checkId === id);
const one = (fs: Finding[], id: string) => {
  const found = byId(fs, id);
  expect(found).toHaveLength(1);
  return found[0]!;
};

function probe3(facts: V3ProbeFacts | undefined, flavour: 'influxdb-1' | 'influxdb-3' = 'influxdb-3'): Result<ProbeEvidence> {
  const na = fail<never>('not asked');
  return ok({
    endpoint: 'http://127.0.0.1:8181',
    address: '127.0.0.1',
    scheme: 'http',
    fingerprint: { flavour },
    ping: na,
    query: na,
    jwt: na,
    error: na,
    diagnostics: {},
    setup: na,
    cors: na,
    ...(facts ? { v3: ok(facts) } : {}),
  });
}

function endpoint(ev: { probe?: Result<ProbeEvidence>; host?: Result<HostEvidence>; audit?: Result<AuditEvidence> }): Finding[] {
  const c: EndpointContext = {
    probed: ev.probe !== undefined,
    evidence: { probe: ev.probe ?? fail('not probed'), ...(ev.host ? { host: ev.host } : {}), ...(ev.audit ? { audit: ev.audit } : {}) },
    settings: checkSettings(parseConfig({})),
    instance: instance(),
    now: Date.now(),
  };
  return evaluateEndpoint(CHECKS, c);
}

describe('auth.v3-admin-token-unclaimed', () => {
  const id = 'auth.v3-admin-token-unclaimed';
  it('FAILED (CRITICAL) when the 3.6.0 local-file catalog holds no admin token', () => {
    const f = one(judgeHost(ok(host3(v3({ catalog: { format: 'idb3.004', adminToken: false, path: '/d/n1/catalog/v2' } })))), id);
    expect(f).toMatchObject({ status: 'FAILED', severity: 'CRITICAL' });
    expect(f.evidence.summary).toContain('/api/v3/configure/token/admin');
  });
  it('PASSED when the catalog holds one', () => {
    expect(one(judgeHost(ok(host3(v3()))), id)).toMatchObject({ status: 'PASSED' });
  });
  it('NOT_AVAILABLE from the host alone when the catalog is not a local file, unreadable, or of a version whose format is not proven', () => {
    for (const p of [
      v3({ flags: flags({ 'object-store': 's3', bucket: 'b' }), catalog: undefined }),
      v3({ catalog: { format: null, adminToken: null, reason: 'catalog logs permission denied' } }),
      v3({ version: '3.7.0' }),
      v3({ catalog: { format: 'idb3.005', adminToken: false } }),
    ]) {
      const f = one(judgeHost(ok(host3(p))), id);
      expect(f.status).toBe('NOT_AVAILABLE');
    }
  });
  it('WARNING when the probe recognises 3.x with authentication on and neither the host nor the audit can tell', () => {
    const f = one(endpoint({ probe: probe3({ authRequired: true, openResources: [], processingEngine: null }) }), id);
    expect(f).toMatchObject({ status: 'WARNING' });
  });
  it('PASSED from the audit: an admin token given to the audit proves one', () => {
    const audit = ok<AuditEvidence>({
      flavour: 'influxdb-3',
      endpoint: 'http://127.0.0.1:8181',
      tokens: [{ name: '_admin', admin: true }],
    });
    const f = one(endpoint({ probe: probe3({ authRequired: true, openResources: [], processingEngine: null }), audit }), id);
    expect(f).toMatchObject({ status: 'PASSED' });
  });
  it('says nothing on 1.x, or on 3.x with authentication off', () => {
    expect(byId(judgeHost(ok(hostEvidence())), id)).toEqual([]);
    expect(byId(endpoint({ probe: probe3(undefined, 'influxdb-1') }), id)).toEqual([]);
    expect(byId(judgeHost(ok(host3(v3({ flags: flags({ 'without-auth': 'true' }) })))), id)).toEqual([]);
  });
});

describe('auth.v3-recovery-listener-exposed', () => {
  const id = 'auth.v3-recovery-listener-exposed';
  it('FAILED for a non-loopback address, from the flag or the variable', () => {
    expect(one(judgeHost(ok(host3(v3({ flags: flags({ 'admin-token-recovery-http-bind': '0.0.0.0:8182' }) })))), id)).toMatchObject({
      status: 'FAILED',
      severity: 'CRITICAL',
    });
    const env = v3({ env: { INFLUXDB3_ADMIN_TOKEN_RECOVERY_HTTP_BIND_ADDR: '10.0.0.5:9000' } });
    expect(one(judgeHost(ok(host3(env))), id).status).toBe('FAILED');
  });
  it('PASSED given without a value (127.0.0.1:8182) or not at all', () => {
    const f = one(judgeHost(ok(host3(v3({ flags: flags({ 'admin-token-recovery-http-bind': '' }) })))), id);
    expect(f).toMatchObject({ status: 'PASSED' });
    expect(f.evidence.summary).toContain('127.0.0.1:8182');
    expect(one(judgeHost(ok(host3(v3()))), id).status).toBe('PASSED');
  });
  it('says nothing on a 1.x host', () => {
    expect(byId(judgeHost(ok(hostEvidence())), id)).toEqual([]);
  });
});

describe('host.v3-processing-engine-open', () => {
  const id = 'host.v3-processing-engine-open';
  it('FAILED from the host: --plugin-dir with --without-auth (or its variable)', () => {
    const p = v3({ flags: flags({ 'plugin-dir': '/plugins' }), env: { INFLUXDB3_START_WITHOUT_AUTH: 'true' } });
    expect(one(judgeHost(ok(host3(p))), id)).toMatchObject({ status: 'FAILED', severity: 'CRITICAL' });
  });
  it('PASSED with authentication on, or without a plugin directory', () => {
    expect(one(judgeHost(ok(host3(v3({ flags: flags({ 'plugin-dir': '/plugins' }) })))), id).status).toBe('PASSED');
    expect(one(judgeHost(ok(host3(v3({ flags: flags({ 'without-auth': 'true' }) })))), id).status).toBe('PASSED');
  });
  it('NOT_AVAILABLE when a variable holds what the server would refuse (only true/false start it)', () => {
    const p = v3({ flags: flags({ 'plugin-dir': '/p' }), env: { INFLUXDB3_START_WITHOUT_AUTH: '1' } });
    expect(one(judgeHost(ok(host3(p))), id).status).toBe('NOT_AVAILABLE');
  });
  it('the probe decides when it can tell', () => {
    const f = one(endpoint({ probe: probe3({ authRequired: false, openResources: [], processingEngine: true }) }), id);
    expect(f).toMatchObject({ status: 'FAILED' });
    expect(one(endpoint({ probe: probe3({ authRequired: true, openResources: [], processingEngine: null }) }), id).status).toBe('PASSED');
  });
  it('says nothing on 1.x', () => {
    expect(byId(judgeHost(ok(hostEvidence())), id)).toEqual([]);
  });
});

describe('host.v3-telemetry-upload', () => {
  const id = 'host.v3-telemetry-upload';
  it('FAILED (LOW) by default, PASSED with the flag or INFLUXDB3_TELEMETRY_DISABLE_UPLOAD=true', () => {
    expect(one(judgeHost(ok(host3(v3()))), id)).toMatchObject({ status: 'FAILED', severity: 'LOW' });
    expect(one(judgeHost(ok(host3(v3({ flags: flags({ 'disable-telemetry-upload': 'true' }) })))), id).status).toBe('PASSED');
    expect(one(judgeHost(ok(host3(v3({ env: { INFLUXDB3_TELEMETRY_DISABLE_UPLOAD: 'true' } })))), id).status).toBe('PASSED');
  });
  it('a flag beats its variable (clap)', () => {
    const p = v3({ flags: flags({ 'disable-telemetry-upload': 'true' }), env: { INFLUXDB3_TELEMETRY_DISABLE_UPLOAD: 'false' } });
    expect(one(judgeHost(ok(host3(p))), id).status).toBe('PASSED');
  });
  it('NOT_AVAILABLE when an ignored influxdb3 may be the server; nothing on 1.x', () => {
    const h = { ...host3(), ignored: [{ pid: 9, name: 'influxdb3', user: 'nobody', exe: '/tmp/influxdb3', reason: 'run by nobody' }] };
    expect(one(judgeHost(ok(h)), id).status).toBe('NOT_AVAILABLE');
    expect(byId(judgeHost(ok(hostEvidence())), id)).toEqual([]);
  });
});

describe('secrets.command-line', () => {
  const id = 'secrets.command-line';
  it('FAILED naming the flag, never its value, on 3.x and on 2.x', () => {
    const f = one(judgeHost(ok(host3(v3({ secretFlags: { 'aws-secret-access-key': 'set' } })))), id);
    expect(f).toMatchObject({ status: 'FAILED', severity: 'HIGH' });
    expect(JSON.stringify(f)).toContain('--aws-secret-access-key');
    expect(JSON.stringify(f)).not.toContain(SECRET);
    const v2 = hostProcess({ flavour: 'influxdb-2', secretFlags: { 'vault-token': 'set' } });
    expect(one(judgeHost(ok({ ...hostEvidence(), version: '2.7.12', processes: [v2] })), id).status).toBe('FAILED');
  });
  it('PASSED when no credential flag is set (empty values are not credentials)', () => {
    expect(one(judgeHost(ok(host3(v3({ secretFlags: { 'aws-secret-access-key': 'empty' } })))), id).status).toBe('PASSED');
    expect(one(judgeHost(ok(hostEvidence())), id).status).toBe('PASSED');
  });
});

describe('3.x host verdicts of existing checks', () => {
  it('auth.disabled: --without-auth FAILS, the default PASSES', () => {
    expect(one(judgeHost(ok(host3(v3({ flags: flags({ 'without-auth': 'true' }) })))), 'auth.disabled').status).toBe('FAILED');
    expect(one(judgeHost(ok(host3(v3()))), 'auth.disabled').status).toBe('PASSED');
  });
  // Defect (fails on the old code): newer releases renamed INFLUXDB3_START_WITHOUT_AUTH to INFLUXDB3_WITHOUT_AUTH and
  // INFLUXDB3_TELEMETRY_DISABLE_UPLOAD to INFLUXDB3_DISABLE_TELEMETRY_UPLOAD (influxdb's env_compat ENV_ALIASES,
  // #4237: the newer name wins, the older is still read; 3.6.0 reads the older only). Only the older was read, so a
  // server started with INFLUXDB3_WITHOUT_AUTH=true PASSED auth.disabled from its host.
  it('a renamed variable (INFLUXDB3_WITHOUT_AUTH, INFLUXDB3_DISABLE_TELEMETRY_UPLOAD) is never ignored: NOT_AVAILABLE where the release decides, judged where both names agree', () => {
    const auth = (env: Record<string, string>) => one(judgeHost(ok(host3(v3({ env })))), 'auth.disabled');
    expect(auth({ INFLUXDB3_WITHOUT_AUTH: 'true' })).toMatchObject({ status: 'NOT_AVAILABLE' });
    expect(JSON.stringify(auth({ INFLUXDB3_WITHOUT_AUTH: 'true' }).evidence)).toMatch(
      /INFLUXDB3_WITHOUT_AUTH=true is read only by releases/,
    );
    expect(auth({ INFLUXDB3_WITHOUT_AUTH: 'true', INFLUXDB3_START_WITHOUT_AUTH: 'true' }).status).toBe('FAILED');
    expect(auth({ INFLUXDB3_WITHOUT_AUTH: 'false', INFLUXDB3_START_WITHOUT_AUTH: 'true' }).status).toBe('NOT_AVAILABLE');
    expect(auth({ INFLUXDB3_START_WITHOUT_AUTH: 'true' }).status).toBe('FAILED');
    // The flag wins over both variables, on every release.
    expect(
      one(judgeHost(ok(host3(v3({ flags: flags({ 'without-auth': 'true' }), env: { INFLUXDB3_WITHOUT_AUTH: 'false' } })))), 'auth.disabled')
        .status,
    ).toBe('FAILED');
    const telemetry = (env: Record<string, string>) => one(judgeHost(ok(host3(v3({ env })))), 'host.v3-telemetry-upload').status;
    expect(telemetry({ INFLUXDB3_DISABLE_TELEMETRY_UPLOAD: 'true' })).toBe('NOT_AVAILABLE');
    expect(telemetry({ INFLUXDB3_DISABLE_TELEMETRY_UPLOAD: 'true', INFLUXDB3_TELEMETRY_DISABLE_UPLOAD: 'true' })).toBe('PASSED');
  });
  it('auth.diagnostics-unauthenticated: --disable-authz with metrics FAILS, health,ping alone PASSES', () => {
    const d = 'auth.diagnostics-unauthenticated';
    expect(one(judgeHost(ok(host3(v3({ flags: flags({ 'disable-authz': 'health,metrics' }) })))), d).status).toBe('FAILED');
    expect(one(judgeHost(ok(host3(v3({ flags: flags({ 'disable-authz': 'health,ping' }) })))), d).status).toBe('PASSED');
  });
  it('tls.disabled from --tls-cert/--tls-key; tls.private-key-exposed judges the tls-key file (fails on the old code: the role was not a key)', () => {
    expect(one(judgeHost(ok(host3(v3()))), 'tls.disabled').status).toBe('FAILED');
    const tls = v3({ env: { INFLUXDB3_TLS_CERT: '/etc/c.pem', INFLUXDB3_TLS_KEY: '/etc/k.pem' } });
    expect(one(judgeHost(ok(host3(tls))), 'tls.disabled').status).toBe('PASSED');
    const files = [{ role: 'tls-key', path: '/etc/k.pem', exists: true, owner: 'influxdb3', group: 'influxdb3', mode: '644' }];
    expect(one(judgeHost(ok({ ...host3(tls), files })), 'tls.private-key-exposed').status).toBe('FAILED');
  });
  it('host.unexpected-listeners: 8181 is the API port of a 3.x host, not an unexpected listener', () => {
    const listeners = [{ address: '0.0.0.0', port: 8181, process: 'influxdb3', pid: 1 }];
    expect(one(judgeHost(ok({ ...host3(v3()), listeners })), 'host.unexpected-listeners').status).toBe('PASSED');
  });
  it('the 1.x-only checks say nothing on a 3.x-only host', () => {
    const fs = judgeHost(ok(host3(v3({ flags: flags({ 'disable-telemetry-upload': 'true' }) }))));
    expect(byId(fs, 'host.rpc-bind-all-interfaces')).toEqual([]);
    expect(byId(fs, 'host.v2-hardening-disabled')).toEqual([]);
  });
});

describe('port 8181 (httpApiPorts)', () => {
  it('8181 for 3.x, 8086 for 1.x/2.x, both while only AWS evidence speaks, the bound port when shown', () => {
    expect(httpApiPorts(3)).toEqual([8181]);
    expect(httpApiPorts(1)).toEqual([8086]);
    expect(httpApiPorts(2)).toEqual([8086]);
    expect(httpApiPorts(undefined)).toEqual([8086, 8181]);
    expect(httpApiPorts(3, 9999)).toEqual([9999]);
    expect(instanceApiPorts(instance(), ok(host3(v3({ flags: flags({ 'http-bind': '0.0.0.0:9181' }) }))))).toEqual([9181]);
    expect(instanceApiPorts(instance(), ok(host3(v3())))).toEqual([8181]);
    expect(instanceApiPorts(instance(), ok(hostEvidence()))).toEqual([8086]);
    // A port bound on loopback is nobody's from the network (a proxy in front serves the API): the default stands.
    expect(instanceApiPorts(instance(), ok(host3(v3({ flags: flags({ 'http-bind': '127.0.0.1:9181' }) }))))).toEqual([8181]);
    expect(instanceApiPorts(instance(), ok(host3(v3({ flags: flags({ 'http-bind': '[::1]:9181' }) }))))).toEqual([8181]);
    // A tag's port may be a proxy's: judged beside the defaults.
    expect(instanceApiPorts(instance({ tags: { 'influxdb:endpoint': 'https://db.internal:8443' } }))).toEqual([8443, 8086, 8181]);
  });
  const http = portExposureChecks.find((c) => c.id === 'net.http-port-public')!;
  it('8181 world-open with no host evidence fails net.http-port-public (fails on the old code: only 8086 was the API)', () => {
    const c = ctx({ net: net([open('sg-0000000000000000a', 'tcp', 8181, '0.0.0.0/0')]) });
    expect(http.evaluate(c)[0]).toMatchObject({ status: 'FAILED', details: { ports: [8181] } });
    expect(unexpectedPortsOpen.evaluate(c)[0]).toMatchObject({ status: 'PASSED' });
  });
  it('on a host known to run 1.x, 8181 is not the API: it is an unexpected port', () => {
    const c = { ...ctx({ net: net([open('sg-0000000000000000a', 'tcp', 8181, '0.0.0.0/0')]) }) };
    c.evidence = { ...c.evidence, host: ok(hostEvidence()) };
    expect(http.evaluate(c)[0]).toMatchObject({ status: 'PASSED' });
    expect(evaluateInstance([unexpectedPortsOpen], c)[0]).toMatchObject({ status: 'FAILED' });
  });
  it('on a 3.x host, 8086 world-open is not the API', () => {
    const c = { ...ctx({ net: net([open('sg-0000000000000000a', 'tcp', 8086, '0.0.0.0/0')]) }) };
    c.evidence = { ...c.evidence, host: ok(host3(v3())) };
    expect(http.evaluate(c)[0]).toMatchObject({ status: 'PASSED' });
  });
});

describe('storage.object-store-public', () => {
  const off = { blockPublicAcls: false, ignorePublicAcls: false, blockPublicPolicy: false, restrictPublicBuckets: false };
  const on = { blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true };
  const bucket = (over: Partial<BucketExposure> = {}): BucketExposure => ({
    bucket: 'influx-store',
    bucketBlock: ok(off),
    accountBlock: ok(off),
    policyPublic: ok(false),
    aclPublicGrants: ok([]),
    ...over,
  });
  const judge = (...b: BucketExposure[]) => {
    const c = ctx();
    return evaluateInstance([objectStorePublic], { ...c, evidence: { ...c.evidence, objectStore: ok(b) } });
  };
  it('FAILED (CRITICAL) for a public policy or a public-read ACL with Block Public Access off at both levels', () => {
    expect(judge(bucket({ policyPublic: ok(true) }))[0]).toMatchObject({ status: 'FAILED', severity: 'CRITICAL' });
    const acl = judge(bucket({ aclPublicGrants: ok(['AllUsers:READ']) }))[0]!;
    expect(acl).toMatchObject({ status: 'FAILED' });
    expect(acl.evidence.summary).toContain('influx-store');
  });
  it('PASSED when Block Public Access at bucket or account level neutralises them, or nothing is public', () => {
    expect(judge(bucket({ policyPublic: ok(true), aclPublicGrants: ok(['AllUsers:READ']), accountBlock: ok(on) }))[0]!.status).toBe(
      'PASSED',
    );
    expect(judge(bucket({ aclPublicGrants: ok(['AllUsers:READ']), bucketBlock: ok(on) }))[0]!.status).toBe('PASSED');
    expect(judge(bucket())[0]!.status).toBe('PASSED');
  });
  it('NOT_AVAILABLE when what decides could not be read; a public bucket beside it still FAILS', () => {
    const unread = bucket({ policyPublic: ok(true), accountBlock: fail('s3control:GetPublicAccessBlock failed: AccessDenied') });
    expect(judge(unread)[0]!.status).toBe('NOT_AVAILABLE');
    expect(judge(unread, bucket({ bucket: 'other', aclPublicGrants: ok(['AllUsers:FULL_CONTROL']) }))[0]!.status).toBe('FAILED');
  });
  it('silent without a bucket named on the host; the bucket comes from --bucket or INFLUXDB3_BUCKET with --object-store s3', () => {
    expect(evaluateInstance([objectStorePublic], ctx())).toEqual([]);
    expect(objectStoreBuckets(host3(v3({ flags: flags({ 'object-store': 's3' }), env: { INFLUXDB3_BUCKET: 'b-1' } })))).toEqual(['b-1']);
    expect(objectStoreBuckets(host3(v3({ flags: flags({ 'object-store': 's3', bucket: 'b-2' }) })))).toEqual(['b-2']);
    expect(objectStoreBuckets(host3(v3({ flags: flags({ bucket: 'b-3' }) })))).toEqual([]); // a file object store
  });
});
