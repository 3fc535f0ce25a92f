/** Host-side branches no Debian influxd can show: Enterprise meta/data nodes, newer versions, file-only configs. */
import { describe, expect, it } from '@jest/globals';
import {
  hostVerdicts,
  privateKeyExposed,
  rpcBindAll,
  unexpectedListeners,
  VERSION_KNOWLEDGE,
  versionVulnerable,
} from '../../lib/checks/host.js';
import { EvidenceUnavailable } from '../../lib/checks/support.js';
import { effective } from '../../lib/checks/hostfacts.js';
import { CHECKS } from '../../lib/checks/index.js';
import { type Assessed, evaluateInstance } from '../../lib/evaluate.js';
import type { HostEvidence, InstanceContext, ProbeEvidence } from '../../lib/model.js';
import { assessmentKey, ok } from '../../lib/model.js';
import { ctx, hostProcess } from '../support/fixtures.js';

type Proc = HostEvidence['processes'][number];
const proc = (over: Partial<Proc>): Proc => hostProcess(over);
const host = (processes: Proc[], version = '1.8.10', ignored?: HostEvidence['ignored']): HostEvidence => ({
  ...(ignored ? { ignored } : {}),
  schema: 'influxguard.collector/2',
  collectedAt: '2026-11-23T00:00:00Z',
  hostname: 'h',
  tools: { ss: true, openssl: true, influxd: true },
  version,
  processes,
  listeners: [],
  listenerSource: 'ss',
  files: [],
  systemd: { environmentFiles: [], env: {} },
  errors: [],
});

describe('host verdicts', () => {
  it('a file-only read applies the process environment itself', () => {
    const p = proc({ configSource: 'file', config: { 'http.auth-enabled': 'true' }, env: { INFLUXDB_HTTP_AUTH_ENABLED: 'false' } });
    expect(effective(p, 'http.auth-enabled')).toEqual({ value: 'false', from: 'environment' });
    expect(hostVerdicts['auth.disabled'](host([p]))).toMatchObject({ status: 'FAILED' });
    expect(effective(proc({}), 'bind-address')).toEqual({ value: '127.0.0.1:8088', from: 'default' });
  });
  it('Enterprise meta nodes: [meta] auth-enabled and https-enabled', () => {
    const meta = proc({ name: 'influxd-meta', config: { 'meta.auth-enabled': 'false', 'meta.https-enabled': 'false' } });
    expect(hostVerdicts['auth.disabled'](host([meta]))).toMatchObject({
      status: 'FAILED',
      summary: expect.stringContaining('[meta] auth-enabled = false'),
    });
    expect(hostVerdicts['tls.disabled'](host([meta]))).toMatchObject({ status: 'FAILED' });
    const good = proc({ name: 'influxd-meta', config: { 'meta.auth-enabled': 'true', 'meta.https-enabled': 'true' } });
    expect(hostVerdicts['tls.disabled'](host([good]))).toMatchObject({ status: 'PASSED' });
  });
  it('Enterprise data nodes: cluster and meta TLS', () => {
    const data = proc({ config: { 'http.https-enabled': 'true', 'cluster.https-enabled': 'false', 'meta.meta-tls-enabled': 'true' } });
    expect(hostVerdicts['tls.disabled'](host([data]))).toMatchObject({
      status: 'FAILED',
      summary: expect.stringContaining('[cluster] https-enabled = false'),
    });
  });
  it('empty shared secret with auth on: a WARNING before 1.7.6, PASSED after', () => {
    const p = proc({ config: { 'http.auth-enabled': 'true', 'http.shared-secret': 'empty' } });
    expect(hostVerdicts['auth.jwt-empty-secret'](host([p], '1.7.5'))).toMatchObject({ status: 'WARNING' });
    expect(hostVerdicts['auth.jwt-empty-secret'](host([p], '1.8.10'))).toMatchObject({ status: 'PASSED' });
    expect(hostVerdicts['auth.jwt-empty-secret'](host([p], '1.6.7~rc0'))).toMatchObject({
      status: 'PASSED',
      details: { distributionFix: true },
    });
  });
  it('empty shared secret with auth on and an unknown version: not a PASS', () => {
    const p = proc({ config: { 'http.auth-enabled': 'true', 'http.shared-secret': 'empty' } });
    expect(() => hostVerdicts['auth.jwt-empty-secret']({ ...host([p]), version: null })).toThrow(EvidenceUnavailable);
  });
  it('[http.headers] on 1.8.1+', () => {
    const p = proc({ headers: { 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': "frame-ancestors 'none'" } });
    expect(hostVerdicts['headers.security-headers-missing'](host([p]))).toMatchObject({ status: 'PASSED' });
    expect(hostVerdicts['headers.security-headers-missing'](host([proc({})]))).toMatchObject({ status: 'FAILED' });
  });
  it('hostile version strings from a host do not reach object prototypes', () => {
    const p = proc({ config: { 'http.auth-enabled': 'true', 'http.shared-secret': 'set' } });
    for (const v of ['constructor', '__proto__', 'toString'])
      expect(hostVerdicts['auth.jwt-empty-secret'](host([p], v))).toMatchObject({ status: 'PASSED' });
    // With an empty secret the version decides, and such a version is no version: unavailable, not a PASS (issue 19).
    for (const v of ['constructor', '__proto__', 'toString'])
      expect(() => hostVerdicts['auth.jwt-empty-secret'](host([proc({ config: { 'http.auth-enabled': 'true' } })], v))).toThrow(
        EvidenceUnavailable,
      );
  });
  it('says nothing without an InfluxDB process', () => {
    expect(hostVerdicts['auth.disabled'](host([]))).toBeUndefined();
  });
});

describe('incomplete host evidence never passes (issue 19)', () => {
  const impostor = [
    { pid: 66, name: 'influxd', user: 'nobody', exe: '/tmp/w/influxd', reason: 'run by nobody (uid 65534), neither root nor influxdb' },
  ];
  const good = proc({ config: { 'http.auth-enabled': 'true', 'http.https-enabled': 'true', 'http.pprof-enabled': 'false' } });
  const unavailable = (f: () => unknown, reason: RegExp) => {
    try {
      f();
    } catch (err) {
      expect(err).toBeInstanceOf(EvidenceUnavailable);
      expect((err as EvidenceUnavailable).reason).toMatch(reason);
      return;
    }
    throw new Error('expected EvidenceUnavailable');
  };
  it('an ignored process: what would pass is unavailable, with the reason; a FAILED stands', () => {
    expect(hostVerdicts['auth.disabled'](host([good]))).toMatchObject({ status: 'PASSED' });
    unavailable(() => hostVerdicts['auth.disabled'](host([good], '1.8.10', impostor)), /influxd\[66\] ignored: run by nobody/);
    unavailable(() => hostVerdicts['tls.disabled'](host([], '1.8.10', impostor)), /ignored/);
    expect(hostVerdicts['auth.disabled'](host([proc({ config: { 'http.auth-enabled': 'false' } })], '1.8.10', impostor))).toMatchObject({
      status: 'FAILED',
    });
    const withHost = (h: HostEvidence) => ({ ...ctx(), evidence: { ...ctx().evidence, host: ok(h) } });
    unavailable(() => rpcBindAll.evaluate(withHost(host([good], '1.8.10', impostor))), /ignored/);
    unavailable(() => versionVulnerable.evaluate(withHost(host([good], '1.13.2', impostor))), /ignored/);
    unavailable(() => privateKeyExposed.evaluate(withHost(host([good], '1.8.10', impostor))), /ignored/);
  });
  it('private keys: one outcome per instance (one finding id), FAILED when any key is exposed, whatever the order', () => {
    const withHost = (h: HostEvidence) => ({ ...ctx(), evidence: { ...ctx().evidence, host: ok(h) } });
    const key = (mode: string) => ({
      role: 'http.https-private-key',
      path: '/etc/influxdb/key.pem',
      exists: true,
      owner: 'root',
      group: 'root',
      mode,
    });
    for (const files of [
      [key('600'), key('644')],
      [key('644'), key('600')],
    ])
      expect(privateKeyExposed.evaluate(withHost({ ...host([good]), files }))).toMatchObject([
        { status: 'FAILED', summary: expect.stringContaining('mode 644') },
      ]);
    expect(privateKeyExposed.evaluate(withHost({ ...host([good]), files: [key('600'), key('640')] }))).toMatchObject([
      { status: 'PASSED' },
    ]);
  });
  it('listeners the collector left out: no PASS for unexpected listeners', () => {
    const withHost = (h: HostEvidence) => ({ ...ctx(), evidence: { ...ctx().evidence, host: ok(h) } });
    expect(unexpectedListeners.evaluate(withHost(host([good])))).toMatchObject([{ status: 'PASSED' }]);
    expect(unexpectedListeners.evaluate(withHost({ ...host([good]), listenersOmitted: 3 }))).toMatchObject([
      { status: 'NOT_AVAILABLE', summary: expect.stringMatching(/^3 non-loopback listeners/) },
    ]);
  });
  it('a configuration that could not be read has no defaults', () => {
    const unread = proc({ configSource: 'none', configPath: '/etc/influxdb/influxdb.conf' });
    unavailable(() => effective(unread, 'http.auth-enabled'), /could not be read/);
    unavailable(
      () => hostVerdicts['auth.disabled'](host([unread])),
      /influxd\[1\]: its configuration \/etc\/influxdb\/influxdb.conf could not be read/,
    );
    // influxd's own built-in defaults (no file found, or -config /dev/null) are real values.
    expect(effective(proc({ configSource: 'defaults', configPath: '' }), 'http.auth-enabled')).toEqual({ value: 'false', from: 'default' });
  });
});

describe('host.version-vulnerable', () => {
  const judge = (version: string) =>
    versionVulnerable.evaluate({ ...ctx(), evidence: { ...ctx().evidence, host: ok(host([proc({})], version)) } })[0]!;
  it('supported: PASSED; vulnerable: FAILED naming the CVE; end-of-life by the support policy (current and previous minor)', () => {
    expect(judge('1.13.2')).toMatchObject({ status: 'PASSED' });
    expect(judge('1.12.4')).toMatchObject({ status: 'PASSED' });
    expect(judge('2.10.0')).toMatchObject({ status: 'PASSED' });
    expect(judge('1.7.5')).toMatchObject({ status: 'FAILED', summary: expect.stringContaining('CVE-2019-20933') });
    expect(judge('1.8.10')).toMatchObject({
      status: 'FAILED',
      summary: '1.8.10 is end-of-life (1.x before 1.12 is end-of-life (supported: 1.12 and 1.13))',
    });
    expect(judge('2.7.12')).toMatchObject({ status: 'FAILED', summary: expect.stringMatching(/^2\.7\.12 is end-of-life/) });
    // InfluxDB 3: the real 3.6.0 (test/probe/v3.test.ts) is end-of-life; 3.8+ passes (no CVE listed for 3.x).
    expect(judge('3.6.0')).toMatchObject({
      status: 'FAILED',
      summary: expect.stringMatching(/^3\.6\.0 is end-of-life \(3\.x before 3\.8/),
    });
    expect(judge('3.7.0')).toMatchObject({ status: 'FAILED' });
    expect(judge('3.8.3')).toMatchObject({ status: 'PASSED' });
    expect(judge('3.11.4')).toMatchObject({ status: 'PASSED' });
    expect(() => judge('4.0.0')).toThrow(/no version knowledge about InfluxDB 4/);
  });
  it('an InfluxDB 3 version the probe read stands in when the host cannot tell one, or was not collected', () => {
    const probe = ok({ fingerprint: { flavour: 'influxdb-3', version: '3.6.0', build: 'Core' } } as ProbeEvidence);
    const base = ctx();
    const findings = (evidence: Partial<InstanceContext['evidence']>) =>
      evaluateInstance(
        CHECKS.filter((c) => c.id === 'host.version-vulnerable'),
        { ...base, evidence: { ...base.evidence, ...evidence } },
      );
    // No host evidence at all: the probe's version decides.
    expect(findings({ probe })).toMatchObject([
      { status: 'FAILED', evidence: { version: '3.6.0', decidedBy: 'probe', summary: expect.stringMatching(/^3\.6\.0 is end-of-life/) } },
    ]);
    // A host whose version could not be read: the probe's.
    expect(findings({ probe, host: ok(host([proc({})], 'unknown')) })).toMatchObject([
      { status: 'FAILED', evidence: { decidedBy: 'probe' } },
    ]);
    // A host that read its version decides.
    expect(findings({ probe, host: ok(host([proc({})], '3.8.3')) })).toMatchObject([{ status: 'PASSED', evidence: { version: '3.8.3' } }]);
    // Neither: silent without host evidence, NOT_AVAILABLE with the host's reason when it failed (as before).
    expect(findings({})).toEqual([]);
    expect(findings({ host: { ok: false, reason: 'not SSM-managed' } })).toMatchObject([
      { status: 'NOT_AVAILABLE', evidence: { reason: 'not SSM-managed' } },
    ]);
  });
  it('every entry of the table names its source', () => {
    for (const k of VERSION_KNOWLEDGE) expect(k.source).toMatch(/^https:\/\/[a-z0-9.-]+\//);
  });
});

describe('incomplete host evidence never resolves host.v2-hardening-disabled or host.rpc-bind-all-interfaces (review 1a)', () => {
  const v2 = (over: Partial<Proc> = {}) =>
    proc({
      name: 'influxd',
      flavour: 'influxdb-2',
      configPath: '/etc/influxdb/config.toml',
      configSource: 'file',
      ...over,
    } as Partial<Proc>);
  const judge = (id: string, h: HostEvidence) => {
    const assessed: Assessed = new Set();
    const c = ctx({ instance: { instanceId: 'i-1' } });
    const findings = evaluateInstance(
      CHECKS.filter((x) => x.id === id),
      { ...c, evidence: { ...c.evidence, host: ok(h) } },
      assessed,
    );
    return { findings, assessed: assessed.has(assessmentKey('i-1', id)) };
  };
  it.each([
    ['the only 2.x process has an unreadable configuration', host([v2({ configSource: 'none' })], '2.7.12')],
    ['the version could not be read', host([v2()], '')],
    ['no InfluxDB process is running', host([], '2.7.12')],
  ])('host.v2-hardening-disabled is NOT_AVAILABLE and not assessed when %s', (_, h) => {
    const r = judge('host.v2-hardening-disabled', h);
    expect(r.findings.map((f) => f.status)).toEqual(['NOT_AVAILABLE']);
    expect(r.assessed).toBe(false);
  });
  it('host.v2-hardening-disabled still FAILS and PASSES on complete 2.x evidence, and says nothing on a 1.x-only host', () => {
    expect(judge('host.v2-hardening-disabled', host([v2()], '2.7.12')).findings.map((f) => f.status)).toEqual(['FAILED']);
    const on = judge('host.v2-hardening-disabled', host([v2({ config: { 'hardening-enabled': 'true' } })], '2.7.12'));
    expect(on.findings.map((f) => f.status)).toEqual(['PASSED']);
    expect(on.assessed).toBe(true);
    expect(judge('host.v2-hardening-disabled', host([proc({})], '1.8.10')).findings).toEqual([]);
  });
  it('host.rpc-bind-all-interfaces is NOT_AVAILABLE when the only 1.x process could not be read next to a 2.x one', () => {
    const r = judge('host.rpc-bind-all-interfaces', host([proc({ pid: 2, configSource: 'none' }), v2()], '2.7.12'));
    expect(r.findings.map((f) => f.status)).toEqual(['NOT_AVAILABLE']);
    expect(r.assessed).toBe(false);
  });
});
