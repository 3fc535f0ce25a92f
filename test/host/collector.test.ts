/**
 * The collector, run for real against real influxd processes started from
 * fixture configs, parsed and judged end to end.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findingId } from '../../lib/findings/asff.js';
import { collectLocal, COLLECTOR_PATH } from '../../lib/evidence/host/local.js';
import { SSM_STDOUT_LIMIT, type HostEvidence } from '../../lib/evidence/host/parse.js';
import type { Finding, Result } from '../../lib/model.js';
import { startInfluxd, type RunningInfluxd } from '../../scripts/influxd.js';
import { judgeHost } from '../support/fixtures.js';

const SECRETS = ['Env-Shared-Secret-7f3a', 'Systemd-Secret-91bc', 'File-Shared-Secret-c0de'];
const servers: Record<string, RunningInfluxd> = {};
const hosts: Record<string, Result<HostEvidence>> = {};
let root: string;

beforeAll(async () => {
  // A fixture "host root": the systemd unit and its environment file.
  root = mkdtempSync(join(tmpdir(), 'ig-hostroot-'));
  mkdirSync(join(root, 'lib/systemd/system'), { recursive: true });
  mkdirSync(join(root, 'etc/default'), { recursive: true });
  writeFileSync(
    join(root, 'lib/systemd/system/influxdb.service'),
    '[Service]\nUser=influxdb\nEnvironmentFile=-/etc/default/influxdb\nExecStart=/usr/bin/influxd -config /etc/influxdb/influxdb.conf $INFLUXD_OPTS\n',
  );
  writeFileSync(
    join(root, 'etc/default/influxdb'),
    `INFLUXDB_HTTP_AUTH_ENABLED=false\nINFLUXDB_HTTP_SHARED_SECRET="${SECRETS[1]}"\nOTHER=1\n`,
  );

  const [envOff, rpcAll, keyOpen, keyTight, headers] = await Promise.all([
    startInfluxd({ auth: true, env: { INFLUXDB_HTTP_AUTH_ENABLED: 'false', INFLUXDB_HTTP_SHARED_SECRET: SECRETS[0]! } }),
    startInfluxd({ auth: true, rpcHost: '0.0.0.0', pprof: false }),
    startInfluxd({ auth: true, https: 'valid.combined.pem', pemMode: 0o644, httpExtra: `  shared-secret = "${SECRETS[2]}"` }),
    startInfluxd({ auth: true, https: 'valid.combined.pem', pemMode: 0o600, pprof: false }),
    startInfluxd({
      auth: true,
      extraToml: '[http.headers]\n  X-Content-Type-Options = "nosniff"\n  Content-Security-Policy = "frame-ancestors \'none\'"',
    }),
  ]);
  Object.assign(servers, { envOff, rpcAll, keyOpen, keyTight, headers });
  for (const [name, s] of Object.entries(servers)) hosts[name] = await collectLocal({ pids: [s.pid], root });
  hosts.twoProcesses = await collectLocal({ pids: [envOff.pid, rpcAll.pid], root });
}, 60_000);

afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => s.stop()));
  rmSync(root, { recursive: true, force: true });
});

const judge = (name: string, role: 'oss' | 'data' = 'oss'): Finding[] => judgeHost(hosts[name]!, { role, instanceId: `i-${name}` });
const status = (fs: Finding[], id: string) => fs.filter((f) => f.checkId === id).map((f) => f.status);

describe('the collector against real influxd processes', () => {
  it('produces valid output for every fixture', () => {
    for (const [name, h] of Object.entries(hosts))
      expect({ name, ok: h.ok, reason: h.ok ? '' : h.reason }).toEqual({ name, ok: true, reason: '' });
  });

  it('sees auth turned off by the process environment although the file says on', () => {
    const h = hosts.envOff!;
    if (!h.ok) throw new Error(h.reason);
    // Read, never run: the file says true, the process's variable says false, and influxd applies the variable.
    expect(h.value.processes[0]).toMatchObject({ configSource: 'file', config: { 'http.auth-enabled': 'true' } });
    expect(h.value.processes[0]!.env).toMatchObject({ INFLUXDB_HTTP_AUTH_ENABLED: 'false' });
    const f = judge('envOff').find((x) => x.checkId === 'auth.disabled')!;
    expect(f).toMatchObject({ status: 'FAILED' });
    expect(String(f.evidence.summary)).toMatch(/auth-enabled = false/);
  });

  it('flags the RPC service bound to all interfaces', () => {
    expect(status(judge('rpcAll'), 'host.rpc-bind-all-interfaces')).toEqual(['FAILED']);
    expect(status(judge('envOff'), 'host.rpc-bind-all-interfaces')).toEqual(['PASSED']);
    expect(status(judge('rpcAll', 'data'), 'host.rpc-bind-all-interfaces')).toEqual([]); // Enterprise data nodes need it
  });

  it('gives one finding per check and instance on a host with several influxd processes (a Security Hub id each)', () => {
    const fs = judge('twoProcesses');
    expect(status(fs, 'host.rpc-bind-all-interfaces')).toEqual(['FAILED']); // one process binds all: the instance fails
    expect(fs.find((f) => f.checkId === 'host.rpc-bind-all-interfaces')!.evidence.processes).toHaveLength(2);
    const ids = fs.map((f) => findingId({ ...f, accountId: '123456789012', region: 'eu-west-1' }));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('flags a combined PEM readable by everyone, not one that is 0600', () => {
    expect(status(judge('keyOpen'), 'tls.private-key-exposed')).toEqual(['FAILED']);
    expect(status(judge('keyTight'), 'tls.private-key-exposed')).toEqual(['PASSED']);
    expect(status(judge('keyTight'), 'tls.disabled')).toEqual(['PASSED']);
    expect(status(judge('envOff'), 'tls.disabled')).toEqual(['FAILED']);
  });

  it('flags pprof without pprof-auth', () => {
    expect(judge('envOff').find((f) => f.checkId === 'auth.diagnostics-unauthenticated')).toMatchObject({
      status: 'FAILED',
      severity: 'HIGH',
    });
    expect(status(judge('rpcAll'), 'auth.diagnostics-unauthenticated')).toEqual(['PASSED']);
  });

  it('judges the installed version (Debian 1.6.7: CVE fixed by the distribution, but end-of-life)', () => {
    const f = judge('envOff').find((x) => x.checkId === 'host.version-vulnerable')!;
    expect(f).toMatchObject({ status: 'FAILED' });
    expect(f.evidence).toMatchObject({ endOfLife: true, distributionFixes: ['CVE-2019-20933'] });
    expect(f.evidence.vulnerabilities).toBeUndefined();
    expect(status(judge('envOff'), 'auth.jwt-empty-secret')).toEqual(['PASSED']);
  });

  it('[http.headers] in the file of 1.6.7, which ignores the table: judged by the version', () => {
    const h = hosts.headers!;
    if (!h.ok) throw new Error(h.reason);
    expect(Object.keys(h.value.processes[0]!.headers)).toEqual(['X-Content-Type-Options', 'Content-Security-Policy']);
    expect(judge('headers').find((f) => f.checkId === 'headers.security-headers-missing')!.evidence.summary).toMatch(/1\.8\.1/);
  });

  it('lists listeners and systemd environment files from the fixture root', () => {
    const h = hosts.rpcAll!;
    if (!h.ok) throw new Error(h.reason);
    expect(h.value.listeners.some((l) => ['0.0.0.0', '::'].includes(l.address) && l.process === 'influxd')).toBe(true);
    expect(h.value.systemd.environmentFiles).toEqual(['/etc/default/influxdb']);
    expect(h.value.systemd.env).toEqual({ INFLUXDB_HTTP_AUTH_ENABLED: 'false', INFLUXDB_HTTP_SHARED_SECRET: 'set' });
    // The test server's RPC port is random (not 8088): on all interfaces it is an unexpected listener.
    const f = judge('rpcAll').find((x) => x.checkId === 'host.unexpected-listeners')!;
    expect(f).toMatchObject({ status: 'FAILED' });
    expect(String(f.evidence.summary)).toContain(`:${h.value.listeners.find((l) => l.address === '::')!.port} (influxd)`);
    expect(status(judge('envOff'), 'host.unexpected-listeners')).toEqual(['PASSED']); // loopback only
  });

  it('never prints a secret value: not in collector output, findings, or their JSON', () => {
    const everything = JSON.stringify({ hosts, findings: Object.keys(servers).map((n) => judge(n)) });
    for (const secret of SECRETS) expect(everything).not.toContain(secret);
    expect(everything).toContain('"http.shared-secret":"set"');
    expect(everything).toContain('"INFLUXDB_HTTP_SHARED_SECRET":"set"');
  });

  it('stays well under the SSM stdout limit with 5 processes and long configs', async () => {
    const pids = Object.values(servers).map((s) => s.pid);
    const long = await collectLocal({ pids, root });
    if (!long.ok) throw new Error(long.reason);
    const size = JSON.stringify(long.value).length;
    console.info(`collector output for ${pids.length} influxd processes: ${size} characters (limit ${SSM_STDOUT_LIMIT})`);
    expect(long.value.processes).toHaveLength(5);
    expect(size).toBeLessThan(SSM_STDOUT_LIMIT / 2);
  });

  it('ships as one POSIX sh script', () => {
    expect(readFileSync(COLLECTOR_PATH, 'utf8').startsWith('#!/bin/sh\n')).toBe(true);
  });
});
