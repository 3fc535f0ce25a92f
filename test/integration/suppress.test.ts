/** Accepted risks (CHECKS.md "Accepted risks (suppressions)"): the real CLI against the emulator. */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedEstate, type SeededEstate } from '../../scripts/estate.js';
import { testAccount, type TestAccount } from '../support/aws.js';
import { runCli } from '../support/cli.js';

const REGION = 'eu-west-3';
let account: TestAccount;
let estate: SeededEstate;
const dir = mkdtempSync(join(tmpdir(), 'influxguard-suppress-'));

beforeAll(async () => {
  account = await testAccount();
  estate = await seedEstate(account.seeder(REGION), {
    region: REGION,
    ebsDefaultEncryption: true,
    groups: [{ name: 'influx', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] }],
    instances: [{ name: 'influx-public', tags: { influxdb: '', owner: 'team-a' }, groups: ['influx'], publicIp: true }],
  });
});

/** `YYYY-MM-DD`, `days` from today (UTC). */
const day = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
let files = 0;
const configFile = (suppressions: unknown[]) => {
  const path = join(dir, `config-${files++}.json`);
  writeFileSync(path, JSON.stringify({ suppressions }));
  return path;
};
interface F {
  checkId: string;
  status: string;
  severity: string;
  instanceId?: string;
  suppression?: unknown;
}
const failing = (stdout: string) =>
  (JSON.parse(stdout) as { findings: F[] }).findings.filter((f) => f.status === 'FAILED' && ['CRITICAL', 'HIGH'].includes(f.severity));

describe('suppressions', () => {
  it('an active entry keeps a failing finding FAILED, marks and counts it, and --fail-on ignores it', async () => {
    const env = account.env(REGION);
    const before = await runCli(['scan', '--format', 'json', '--fail-on', 'HIGH'], env);
    expect(before.code).toBe(1);
    const only = failing(before.stdout);
    // The test needs exactly one failure at or above HIGH to suppress.
    expect(only.map((f) => f.checkId)).toEqual(['net.http-port-public']);
    const instanceId = estate.instances['influx-public']![0]!;
    const expires = day(30);
    for (const subject of [{ instanceId }, { tag: 'owner=team-a' }, { resourceId: estate.groups.influx }]) {
      const config = configFile([{ checkId: 'net.http-port-public', ...subject, reason: 'public by design, SEC-1', expires }]);
      const r = await runCli(['scan', '--format', 'json', '--fail-on', 'HIGH', '--config', config], env);
      expect({ subject, code: r.code, stderr: r.stderr }).toEqual({ subject, code: 0, stderr: '' });
      const doc = JSON.parse(r.stdout) as { findings: F[]; summary: Record<string, unknown> };
      const f = doc.findings.find((x) => x.checkId === 'net.http-port-public' && x.status === 'FAILED')!;
      expect(f).toMatchObject({ status: 'FAILED', severity: 'CRITICAL' });
      expect(f.suppression).toEqual({ reason: 'public by design, SEC-1', expires, source: 'config' });
      expect(doc.summary.suppressed).toBe(1);
      expect(doc.summary.FAILED).toBe(JSON.parse(before.stdout).summary.FAILED); // status counts still include it
      expect(doc.findings.filter((x) => x.suppression)).toHaveLength(1);
    }
  });

  it('an entry for another account, region or tag value matches nothing and only warns', async () => {
    const base = { checkId: 'net.http-port-public', reason: 'r', expires: day(30) };
    const config = configFile([
      { ...base, tag: 'owner=team-b' },
      { ...base, instanceId: estate.instances['influx-public']![0], region: 'us-east-1' },
    ]);
    const r = await runCli(['scan', '--format', 'json', '--fail-on', 'HIGH', '--config', config], account.env(REGION));
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).summary.suppressed).toBe(0);
    expect(r.stderr).toMatch(/^influxguard: warning: suppressions\[0\] \(net\.http-port-public, tag owner=team-b\) matched no finding$/m);
    expect(r.stderr).toMatch(/^influxguard: warning: suppressions\[1\] .* matched no finding$/m);
  });

  it('an expired entry warns once and no longer suppresses; one expiring soon warns', async () => {
    const instanceId = estate.instances['influx-public']![0]!;
    const config = configFile([{ checkId: 'net.http-port-public', instanceId, reason: 'old', expires: day(-1) }]);
    const r = await runCli(['scan', '--format', 'json', '--fail-on', 'HIGH', '--config', config], account.env(REGION));
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).summary.suppressed).toBe(0);
    expect(r.stderr).toBe(
      `influxguard: warning: suppressions[0] (net.http-port-public, instanceId ${instanceId}) expired on ${day(-1)}: ignored\n`,
    );
    // Active through the end of its day (UTC), and named while it expires within 14 days.
    const today = configFile([{ checkId: 'net.http-port-public', instanceId, reason: 'r', expires: day(0) }]);
    const t = await runCli(['scan', '--format', 'json', '--fail-on', 'HIGH', '--config', today], account.env(REGION));
    expect(t.code).toBe(0);
    expect(t.stderr).toMatch(/suppressions\[0\] .* expires on \d{4}-\d{2}-\d{2}\n$/);
  });

  it('invalid entries are one-line configuration errors naming the entry (exit 2)', async () => {
    const ok = { checkId: 'net.http-port-public', instanceId: 'i-0123456789abcdef0', reason: 'r', expires: day(10) };
    const cases: [unknown, RegExp][] = [
      [{ ...ok, checkId: 'x' }, /suppressions\[1\]: unknown check id "x"/],
      [{ ...ok, reason: '' }, /suppressions\[1\]: has no reason/],
      [{ ...ok, reason: undefined }, /suppressions\[1\]: has no reason/],
      [{ ...ok, expires: undefined }, /suppressions\[1\]: has no expiry/],
      [{ ...ok, expires: day(400) }, /suppressions\[1\]: expires \S+ is more than 366 days after today/],
      [{ ...ok, expires: '2027-02-30' }, /suppressions\[1\]: expires "2027-02-30" is not a date/],
      [{ ...ok, instanceId: undefined }, /suppressions\[1\]: names no subject/],
      [{ ...ok, tag: 'a=b' }, /suppressions\[1\]: names more than one subject \(instanceId, tag\)/],
      [{ ...ok, instanceId: ' ' }, /suppressions\[1\]: instanceId is empty/],
      [{ ...ok, instanceId: undefined, tag: 'novalue' }, /suppressions\[1\]: tag "novalue" is not KEY=VALUE/],
    ];
    for (const [entry, expected] of cases) {
      const r = await runCli(['scan', '--format', 'json', '--config', configFile([ok, entry])], account.env(REGION));
      expect({ entry, code: r.code }).toEqual({ entry, code: 2 });
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(expected);
      expect(r.stdout).toBe('');
    }
  });
});
