/** Accepted risks (CHECKS.md "Accepted risks (suppressions)"): the real CLI against the emulator. */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchUpdateFindingsCommand, SecurityHubClient, paginateGetFindings, type AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ScanStore } from '../../lib/app/store.js';
import { createScanTable } from '../../scripts/scan-table.js';
import { seedEstate, type SeededEstate } from '../../scripts/estate.js';
import { endpoint, testAccount, type TestAccount } from '../support/aws.js';
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

  it('suppressed NOT_AVAILABLE findings do not count toward --fail-on-unavailable (exit 0 once each is accepted, 3 before)', async () => {
    const env = account.env(REGION);
    // --host: the instance is not SSM-managed in the emulator, so its host checks are NOT_AVAILABLE.
    const args = ['scan', '--format', 'json', '--host', '--fail-on', 'none', '--fail-on-unavailable'];
    const before = await runCli(args, env);
    expect(before.code).toBe(3);
    const na = (JSON.parse(before.stdout) as { findings: F[] }).findings.filter((f) => f.status === 'NOT_AVAILABLE');
    expect(na.length).toBeGreaterThan(0);
    const entries = [...new Set(na.map((f) => `${f.checkId} ${f.instanceId}`))].map((k) => {
      const [checkId, instanceId] = k.split(' ');
      return { checkId, instanceId, reason: 'no SSM on this one, SEC-2', expires: day(30) };
    });
    const r = await runCli([...args, '--config', configFile(entries)], env);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.not.stringContaining('incomplete') });
    const doc = JSON.parse(r.stdout) as { findings: F[]; summary: Record<string, number> };
    expect(doc.summary.NOT_AVAILABLE).toBe(na.length); // still counted by status
    expect(doc.summary.suppressed).toBe(na.length);
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

describe('suppressions in Security Hub (--publish)', () => {
  const all = async (hub: SecurityHubClient) => {
    const out: AwsSecurityFinding[] = [];
    for await (const page of paginateGetFindings({ client: hub, pageSize: 100 }, {})) out.push(...(page.Findings ?? []));
    return out;
  };
  it('SUPPRESSED with the reason, NEW after expiry, and a person’s SUPPRESSED survives every rescan', async () => {
    const env = account.env(REGION);
    const hub = new SecurityHubClient({ region: REGION, endpoint: endpoint(), credentials: account.credentials });
    try {
      const instanceId = estate.instances['influx-public']![0]!;
      const entry = { checkId: 'net.http-port-public', instanceId, reason: 'public by design, SEC-1' };
      const active = configFile([{ ...entry, expires: day(30) }]);
      const first = await runCli(['scan', '--publish', '--fail-on', 'HIGH', '--quiet', '--config', active], env);
      expect({ code: first.code, stderr: first.stderr }).toMatchObject({ code: 0 });
      expect(first.stderr).toMatch(/Security Hub: 1 set SUPPRESSED \(accepted risks\), 0 reopened/);
      const ours = (fs: AwsSecurityFinding[]) =>
        fs.find(
          (f) => f.GeneratorId?.endsWith('net.http-port-public') && f.Id?.includes(`/${instanceId}/`) && f.Compliance?.Status === 'FAILED',
        )!;
      let found = await all(hub);
      expect(ours(found).Workflow?.Status).toBe('SUPPRESSED');
      expect(ours(found).Note?.Text).toBe(`influxguard: accepted until ${day(30)}: public by design, SEC-1`);
      expect(ours(found).Compliance?.Status).toBe('FAILED');
      // A person suppresses another finding, with their own note.
      const other = found.find((f) => f.Id !== ours(found).Id)!;
      await hub.send(
        new BatchUpdateFindingsCommand({
          FindingIdentifiers: [{ Id: other.Id!, ProductArn: other.ProductArn! }],
          Workflow: { Status: 'SUPPRESSED' },
          Note: { Text: 'accepted by alice', UpdatedBy: 'alice' },
        }),
      );
      // An unchanged rescan changes nothing.
      const again = await runCli(['scan', '--publish', '--fail-on', 'HIGH', '--quiet', '--config', active], env);
      expect(again.code).toBe(0);
      expect(again.stderr).not.toMatch(/set SUPPRESSED/);
      // The entry expires: the finding returns to NEW; the person's stays SUPPRESSED.
      const expired = configFile([{ ...entry, expires: day(-1) }]);
      const after = await runCli(['scan', '--publish', '--fail-on', 'none', '--quiet', '--config', expired], env);
      expect(after.code).toBe(0);
      expect(after.stderr).toMatch(/Security Hub: 0 set SUPPRESSED \(accepted risks\), 1 reopened/);
      found = await all(hub);
      expect(ours(found).Workflow?.Status).toBe('NEW');
      expect(ours(found).Note?.Text).toMatch(/^influxguard: accepted risk ended/);
      const person = found.find((f) => f.Id === other.Id)!;
      expect(person.Workflow?.Status).toBe('SUPPRESSED');
      expect(person.Note?.Text).toBe('accepted by alice');
      // A person now suppresses the reopened finding themselves: no rescan reopens it.
      await hub.send(
        new BatchUpdateFindingsCommand({
          FindingIdentifiers: [{ Id: ours(found).Id!, ProductArn: ours(found).ProductArn! }],
          Workflow: { Status: 'SUPPRESSED' },
        }),
      );
      for (const config of [expired, configFile([])]) {
        const r = await runCli(['scan', '--publish', '--fail-on', 'none', '--quiet', '--config', config], env);
        expect(r.code).toBe(0);
        expect(r.stderr).not.toMatch(/reopened/);
      }
      found = await all(hub);
      expect(ours(found).Workflow?.Status).toBe('SUPPRESSED');
      expect(found.find((f) => f.Id === other.Id)!.Workflow?.Status).toBe('SUPPRESSED');
    } finally {
      hub.destroy();
    }
  });

  it('with the stack table, only what its record says the scanner suppressed is reopened', async () => {
    const region = 'eu-north-1';
    const seeded = await seedEstate(account.seeder(region), {
      region,
      ebsDefaultEncryption: true,
      groups: [{ name: 'influx', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] }],
      instances: [{ name: 'influx-public', tags: { influxdb: '' }, groups: ['influx'], publicIp: true }],
    });
    const db = new DynamoDBClient({ region, endpoint: endpoint(), credentials: account.credentials });
    const hub = new SecurityHubClient({ region, endpoint: endpoint(), credentials: account.credentials });
    try {
      const table = `influxguard-suppress-${Date.now()}`;
      await createScanTable(db, table);
      const store = new ScanStore(db, table);
      const env = { ...account.env(region), INFLUXGUARD_TABLE: table };
      const instanceId = seeded.instances['influx-public']![0]!;
      const entry = { checkId: 'net.http-port-public', instanceId, reason: 'r' };
      const first = await runCli(
        ['scan', '--publish', '--fail-on', 'none', '--quiet', '--config', configFile([{ ...entry, expires: day(5) }])],
        env,
      );
      expect(first.stderr).toMatch(/1 set SUPPRESSED/);
      const recorded = await store.readSuppressed(account.accountId, region);
      expect([...recorded]).toEqual([expect.stringContaining(`/net.http-port-public/${instanceId}/`)]);
      // Not in the record (as if a person had suppressed it with a copy of the note): the expiry reopens nothing.
      await store.writeSuppressed(account.accountId, region, new Set());
      const expired = configFile([{ ...entry, expires: day(-1) }]);
      const kept = await runCli(['scan', '--publish', '--fail-on', 'none', '--quiet', '--config', expired], env);
      expect(kept.stderr).not.toMatch(/reopened/);
      const state = async () => (await all(hub)).find((f) => f.Id === [...recorded][0])?.Workflow?.Status;
      expect(await state()).toBe('SUPPRESSED');
      // In the record: reopened, and the record forgets it.
      await store.writeSuppressed(account.accountId, region, recorded);
      const reopened = await runCli(['scan', '--publish', '--fail-on', 'none', '--quiet', '--config', expired], env);
      expect(reopened.stderr).toMatch(/0 set SUPPRESSED \(accepted risks\), 1 reopened/);
      expect(await state()).toBe('NEW');
      expect((await store.readSuppressed(account.accountId, region)).size).toBe(0);
    } finally {
      db.destroy();
      hub.destroy();
    }
  });
});
