/** Host-side branches no Debian influxd can show: Enterprise meta/data nodes, newer versions, file-only configs. */
import { describe, expect, it } from '@jest/globals';
import { hostVerdicts, versionVulnerable } from '../../lib/checks/host.js';
import { effective } from '../../lib/checks/hostfacts.js';
import type { HostEvidence } from '../../lib/model.js';
import { ok } from '../../lib/model.js';
import { ctx } from '../support/fixtures.js';

type Proc = HostEvidence['processes'][number];
const proc = (over: Partial<Proc>): Proc => ({
  pid: 1,
  name: 'influxd',
  user: 'influxdb',
  cmdline: 'influxd',
  configPath: '/etc/influxdb/influxdb.conf',
  env: {},
  configSource: 'influxd config',
  config: {},
  headers: {},
  ...over,
});
const host = (processes: Proc[], version = '1.8.10'): HostEvidence => ({
  schema: 'influxguard.collector/1',
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
  it('[http.headers] on 1.8.1+', () => {
    const p = proc({ headers: { 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': "frame-ancestors 'none'" } });
    expect(hostVerdicts['headers.security-headers-missing'](host([p]))).toMatchObject({ status: 'PASSED' });
    expect(hostVerdicts['headers.security-headers-missing'](host([proc({})]))).toMatchObject({ status: 'FAILED' });
  });
  it('hostile version strings from a host do not reach object prototypes', () => {
    const p = proc({ config: { 'http.auth-enabled': 'true' } });
    for (const v of ['constructor', '__proto__', 'toString'])
      expect(hostVerdicts['auth.jwt-empty-secret'](host([p], v))).toMatchObject({ status: 'PASSED' });
  });
  it('says nothing without an InfluxDB process', () => {
    expect(hostVerdicts['auth.disabled'](host([]))).toBeUndefined();
  });
});

describe('host.version-vulnerable', () => {
  const judge = (version: string) =>
    versionVulnerable.evaluate({ ...ctx(), evidence: { ...ctx().evidence, host: ok(host([proc({})], version)) } })[0]!;
  it('supported and patched: PASSED; vulnerable: FAILED naming the CVE', () => {
    expect(judge('1.8.10')).toMatchObject({ status: 'PASSED' });
    expect(judge('1.7.5')).toMatchObject({ status: 'FAILED', summary: expect.stringContaining('CVE-2019-20933') });
    expect(judge('2.7.1')).toMatchObject({ status: 'PASSED' });
  });
});
