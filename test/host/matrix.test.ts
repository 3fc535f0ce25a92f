/**
 * The collector against every real server of the version matrix: the version
 * each reports (host.version-vulnerable judges the real strings), and InfluxDB
 * 2.x's effective configuration from its config file (TOML, YAML, JSON),
 * INFLUXD_* environment and flags, in influxd's order. Versions not built are
 * skipped (see test/probe/matrix.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COLLECTOR_PATH, collectLocal } from '../../lib/evidence/host/local.js';
import type { HostEvidence } from '../../lib/evidence/host/parse.js';
import type { Result } from '../../lib/model.js';
import {
  allStarted,
  influxdBuilds,
  startInfluxd,
  type InfluxdBuild,
  type InfluxdVariant,
  type RunningInfluxd,
} from '../../scripts/influxd.js';
import { judgeHost } from '../support/fixtures.js';

const { available } = influxdBuilds();
const v2 = available.find((b) => b.major === 2);
const VAULT = { file: 'Vault-File-Token-5e1d', env: 'Vault-Env-Token-a4c2', flag: 'Vault-Flag-Token-09fb' };

/** 2.x configurations: where each option comes from is the point. */
const V2_VARIANTS = (b: InfluxdBuild): Record<string, InfluxdVariant> => ({
  defaults: { build: b },
  // YAML named by INFLUXD_CONFIG_PATH: the file's values, a variable over one of them, a flag over another.
  yaml: {
    build: b,
    https: 'valid.combined.pem',
    pemMode: 0o644,
    configFile: {
      name: 'influxd.yaml',
      via: 'file',
      text: `tls-cert: {pem}\ntls-key: "{pem}"\ntls-min-version: "1.2"\npprof-disabled: true\nmetrics-disabled: false\nhardening-enabled: false\nsession-length: 30\nvault-token: ${VAULT.file}\n`,
    },
    env: { INFLUXD_METRICS_DISABLED: 'true', INFLUXD_HARDENING_ENABLED: 'false', INFLUXD_VAULT_TOKEN: VAULT.env },
    args: ['--hardening-enabled', `--vault-token=${VAULT.flag}`],
  },
  // TOML found as config.toml in the directory INFLUXD_CONFIG_PATH names.
  toml: {
    build: b,
    configFile: { name: 'config.toml', via: 'dir', text: 'hardening-enabled = false\npprof-disabled = true\nmetrics-disabled = true\n' },
  },
  // JSON found as config.json in the process's working directory, with a key-only TLS pair: no HTTPS.
  json: {
    build: b,
    configFile: {
      name: 'config.json',
      via: 'cwd',
      text: '{"hardening-enabled": true, "pprof-disabled": false, "tls-key": "{dir}/absent.pem"}',
    },
  },
});

const servers: Record<string, RunningInfluxd> = {};
const hosts: Record<string, Result<HostEvidence>> = {};
const raw: Record<string, string> = {};
/** The collector's working directory: running a flux-linked influxd must leave nothing there (no .cache/snowflake). */
const scratch = mkdtempSync(join(tmpdir(), 'ig-collector-cwd-'));

beforeAll(async () => {
  const variants: [string, InfluxdVariant][] = [
    ...available.map((b): [string, InfluxdVariant] => [b.version, { build: b }]),
    ...(v2 ? Object.entries(V2_VARIANTS(v2)).map(([k, v]): [string, InfluxdVariant] => [`v2-${k}`, v]) : []),
  ];
  await allStarted(
    variants.map(async ([name, v]) => {
      servers[name] = await startInfluxd(v);
    }),
  );
  for (const [name, s] of Object.entries(servers)) {
    hosts[name] = await collectLocal({ pids: [s.pid] });
    raw[name] = spawnSync('sh', [COLLECTOR_PATH], {
      cwd: scratch,
      env: { PATH: process.env.PATH, INFLUXGUARD_PIDS: String(s.pid) },
      encoding: 'utf8',
    }).stdout;
  }
}, 180_000);

afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await Promise.all(Object.values(servers).map((s) => s.stop()));
});

const judge = (name: string) => judgeHost(hosts[name]!, { role: 'oss', instanceId: `i-${name}` });
const finding = (name: string, id: string) => judge(name).find((f) => f.checkId === id);
const evidence = (name: string) => {
  const h = hosts[name]!;
  if (!h.ok) throw new Error(h.reason);
  return h.value;
};

it('collecting from each version runs nothing of it and leaves no file behind', () => {
  expect(Object.keys(raw).length).toBeGreaterThan(0);
  expect(readdirSync(scratch)).toEqual([]);
});

describe('host.version-vulnerable against the versions the real servers report', () => {
  const expected: Record<string, { version: string; status: string; summary: RegExp }> = {
    '1.6.7': { version: '1.6.7~rc0', status: 'FAILED', summary: /^1\.6\.7~rc0 is end-of-life/ },
    '1.8.10': { version: '1.8.10', status: 'FAILED', summary: /^1\.8\.10 is end-of-life \(1\.x before 1\.12/ },
    '1.13.2': { version: '1.13.2', status: 'PASSED', summary: /is supported/ },
    '2.7.12': { version: '2.7.12', status: 'FAILED', summary: /^2\.7\.12 is end-of-life \(2\.x before 2\.9/ },
  };
  it.each(available.map((b) => b.version))('%s', (version) => {
    const e = expected[version]!;
    expect(evidence(version).version).toBe(e.version);
    const f = finding(version, 'host.version-vulnerable')!;
    expect(f).toMatchObject({ status: e.status, evidence: { summary: expect.stringMatching(e.summary) } });
    // Debian's backport: the CVE's range covers 1.6.7, its fix is recorded, and the CVE is not reported.
    if (version === '1.6.7') {
      expect(f.evidence).toMatchObject({ distributionFixes: ['CVE-2019-20933'] });
      expect(f.evidence.vulnerabilities).toBeUndefined();
    }
    if (e.status === 'FAILED') expect(String(f.evidence.sources)).toMatch(/https:\/\//);
  });
});

(v2 ? describe : describe.skip)('InfluxDB 2.x on the host: flags over INFLUXD_* over the config file over defaults', () => {
  it('is read as 2.x, and 1.x checks say nothing wrong about it', () => {
    const p = evidence('v2-defaults').processes[0]!;
    expect(p).toMatchObject({ flavour: 'influxdb-2', configSource: 'defaults' });
    expect(finding('v2-defaults', 'auth.disabled')).toMatchObject({ status: 'NOT_AVAILABLE' }); // the host has no 1.x auth-enabled to read
    expect(judge('v2-defaults').filter((f) => f.checkId === 'host.rpc-bind-all-interfaces')).toEqual([]);
  });
  it('defaults: pprof and /metrics open, no TLS, hardening off, headers impossible', () => {
    expect(finding('v2-defaults', 'auth.diagnostics-unauthenticated')).toMatchObject({ status: 'FAILED', severity: 'HIGH' });
    expect(finding('v2-defaults', 'tls.disabled')).toMatchObject({ status: 'FAILED' });
    expect(finding('v2-defaults', 'host.v2-hardening-disabled')).toMatchObject({
      status: 'FAILED',
      evidence: { summary: 'hardening-enabled is false (default)' },
    });
    expect(finding('v2-defaults', 'headers.security-headers-missing')).toMatchObject({ status: 'FAILED' });
  });
  it('YAML file named by INFLUXD_CONFIG_PATH; a variable overrides the file, a flag overrides the variable', () => {
    const p = evidence('v2-yaml').processes[0]!;
    expect(p.configSource).toBe('file');
    expect(p.config).toMatchObject({ 'pprof-disabled': 'true', 'metrics-disabled': 'false', 'session-length': '30' });
    expect(finding('v2-yaml', 'auth.diagnostics-unauthenticated')).toMatchObject({ status: 'PASSED' }); // metrics: env true over file false
    expect(finding('v2-yaml', 'host.v2-hardening-disabled')).toMatchObject({
      status: 'PASSED',
      evidence: { sessionLength: ['30 minutes (config)'] },
    });
    expect(finding('v2-yaml', 'tls.disabled')).toMatchObject({ status: 'PASSED' });
    expect(String(finding('v2-yaml', 'tls.disabled')!.evidence.settings)).toMatch(
      /tls-min-version 1\.2 \(config\), tls-strict-ciphers false \(default\)/,
    );
    // The key file (a combined PEM, mode 0644) named in the YAML: readable by everyone.
    expect(finding('v2-yaml', 'tls.private-key-exposed')).toMatchObject({ status: 'FAILED' });
    expect(
      evidence('v2-yaml')
        .files.map((f) => f.role)
        .sort(),
    ).toEqual(['tls-cert']); // cert and key are one file, listed once
  });
  it('TOML found in the directory INFLUXD_CONFIG_PATH names; JSON found in the working directory', () => {
    expect(evidence('v2-toml').processes[0]!.config).toMatchObject({ 'hardening-enabled': 'false', 'pprof-disabled': 'true' });
    expect(finding('v2-toml', 'host.v2-hardening-disabled')).toMatchObject({ status: 'FAILED' });
    expect(finding('v2-toml', 'auth.diagnostics-unauthenticated')).toMatchObject({ status: 'PASSED' });
    expect(evidence('v2-json').processes[0]!.configPath).toBe('./config.json');
    expect(finding('v2-json', 'host.v2-hardening-disabled')).toMatchObject({ status: 'PASSED' });
    expect(finding('v2-json', 'tls.disabled')).toMatchObject({ status: 'FAILED' }); // a key without a certificate serves no TLS
    expect(evidence('v2-json').files).toEqual([expect.objectContaining({ role: 'tls-key', exists: false })]);
  });
  it('the vault token in the file, the environment and the flags is "set", never its value', () => {
    const p = evidence('v2-yaml').processes[0]!;
    expect(p.flags).toMatchObject({ 'vault-token': 'set', 'hardening-enabled': 'true' });
    expect(p.env).toMatchObject({ INFLUXD_VAULT_TOKEN: 'set', INFLUXD_METRICS_DISABLED: 'true' });
    expect(p.config['vault-token']).toBe('set');
    const everything = raw['v2-yaml']! + JSON.stringify(hosts['v2-yaml']) + JSON.stringify(judge('v2-yaml'));
    for (const secret of Object.values(VAULT)) expect(everything).not.toContain(secret);
  });
});
