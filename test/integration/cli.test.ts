/** The real `influxguard` binary against the emulator: output contract, exit codes, one-line errors. */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { VERSION } from '../../lib/version.js';
import { seedEstate, type SeededEstate } from '../../scripts/estate.js';
import { testAccount, type TestAccount } from '../support/aws.js';
import { runCli } from '../support/cli.js';

const REGION = 'eu-central-1';
let account: TestAccount;
let estate: SeededEstate;

beforeAll(async () => {
  account = await testAccount();
  estate = await seedEstate(account.seeder(REGION), {
    region: REGION,
    ebsDefaultEncryption: true,
    groups: [
      { name: 'influx', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] },
      { name: 'ssh', rules: [{ ports: 22, cidrs: ['10.0.0.0/8'] }] },
    ],
    instances: [
      { name: 'influx-public', tags: { influxdb: '' }, groups: ['influx', 'ssh'], publicIp: true },
      { name: 'influx-custom-tag', tags: { team: 'metrics' }, groups: ['influx'] },
    ],
  });
});

const noStack = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('influxguard scan', () => {
  it('--format json prints exactly the CHECKS.md document and exits 1 on failures', async () => {
    // (account.env disables probing: these instances' private IPs are emulated)
    const r = await runCli(['scan', '--format', 'json'], account.env(REGION));
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['scanId', 'startedAt', 'finishedAt', 'scope', 'findings', 'summary']);
    expect(doc.scope).toEqual({ accounts: [account.accountId], regions: [REGION] });
    expect(Object.keys(doc.summary)).toEqual(['FAILED', 'PASSED', 'WARNING', 'NOT_AVAILABLE', 'suppressed', 'bySeverity']);
    const pub = doc.findings.find(
      (f: { checkId: string; status: string }) => f.checkId === 'net.http-port-public' && f.status === 'FAILED',
    );
    expect(pub).toMatchObject({
      severity: 'CRITICAL',
      title: 'InfluxDB HTTP API port 8086 is open to the internet',
      accountId: account.accountId,
      region: REGION,
      instanceId: estate.instances['influx-public']![0],
      resource: { type: 'AwsEc2SecurityGroup', id: estate.groups.influx },
      remediation: { url: expect.stringMatching(/^https:/) },
    });
    expect(r.stderr).toBe('');
  });

  it('--fail-on decides the exit code', async () => {
    expect((await runCli(['scan', '--format', 'json', '--fail-on', 'CRITICAL'], account.env(REGION))).code).toBe(1);
    expect((await runCli(['scan', '--format', 'json', '--fail-on', 'none'], account.env(REGION))).code).toBe(0);
    const onlyMedium = await runCli(['scan', '--tag', 'team=metrics', '--fail-on', 'critical', '--format', 'json'], account.env(REGION));
    expect(onlyMedium.code).toBe(0); // private instance: 8086 world-open is HIGH, below CRITICAL
    expect(
      JSON.parse(onlyMedium.stdout).findings.every(
        (f: { instanceId?: string }) => !f.instanceId || f.instanceId === estate.instances['influx-custom-tag']![0],
      ),
    ).toBe(true);
  });

  it('prints a plain table when not on a terminal, grouped by instance, worst first', async () => {
    const r = await runCli(['scan', '--allow-port', '22@10.0.0.0/8'], account.env(REGION));
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/\x1b\[/);
    const lines = r.stdout.split('\n');
    const first = lines.findIndex((l) => l.includes('influx-public'));
    expect(first).toBeGreaterThan(0);
    expect(lines[first + 1]).toMatch(/^\s+FAILED\s+CRITICAL\s+net\.http-port-public/);
    expect(r.stdout).toMatch(/Summary: 1 failed \(1 CRITICAL\)/);
  });

  it('rejects unknown flags, commands and values with one line and exit 2', async () => {
    for (const args of [
      ['scan', '--regon', 'x'],
      ['scna'],
      ['scan', '--format', 'xml'],
      ['scan', '--fail-on', 'severe'],
      ['scan', '--allow-port', 'ssh'],
      ['scan', 'extra'],
    ]) {
      const r = await runCli(args, account.env(REGION));
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^influxguard: /);
      expect(r.stdout).toBe('');
    }
  });
  it('--endpoint-cidr sets probe.endpointCidrs (a bad one is named)', async () => {
    const r = await runCli(['scan', '--endpoint-cidr', '10.9.0.0/16', '--endpoint-cidr', 'nope'], account.env(REGION));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--endpoint-cidr \("nope"\): is not a valid IPv4\/IPv6 CIDR/); // named as given
  });

  it('an unknown region is a one-line usage error', async () => {
    const r = await runCli(['scan', '--region', 'eu-fake-7'], account.env(REGION));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown region "eu-fake-7"/);
    noStack(r.stderr);
  });

  it('missing credentials: one line, exit 2', async () => {
    const env = { ...account.env(REGION), AWS_CONFIG_FILE: '/nonexistent/config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials' };
    delete (env as Record<string, string | undefined>).AWS_ACCESS_KEY_ID;
    delete (env as Record<string, string | undefined>).AWS_SECRET_ACCESS_KEY;
    delete (env as Record<string, string | undefined>).AWS_SESSION_TOKEN;
    const r = await runCli(['scan'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^influxguard: sts:GetCallerIdentity failed: CredentialsProviderError: .*credentials/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('an unreachable endpoint: one line, exit 2, no secret in the output', async () => {
    const env = { ...account.env(REGION), AWS_ENDPOINT_URL: 'http://127.0.0.1:9' };
    const r = await runCli(['scan'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^influxguard: sts:GetCallerIdentity failed: .*ECONNREFUSED/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toContain(account.credentials.secretAccessKey);
    expect(r.stderr).not.toContain(account.credentials.sessionToken!);
  });

  it('no region anywhere is a usage error', async () => {
    const env = { ...account.env(REGION), AWS_CONFIG_FILE: '/nonexistent/config' };
    delete (env as Record<string, string | undefined>).AWS_REGION;
    const r = await runCli(['scan'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no AWS region/);
  });

  it('--publish imports into Security Hub once; an unchanged rescan imports nothing', async () => {
    const env = account.env(REGION);
    const first = await runCli(['scan', '--publish', '--fail-on', 'none', '--format', 'json'], env);
    expect(first.code).toBe(0);
    const n = JSON.parse(first.stdout).findings.length;
    expect(first.stderr).toContain(`Security Hub: ${n} imported (${n} new`);
    const again = await runCli(['scan', '--publish', '--fail-on', 'none', '--quiet'], env);
    expect(again.stderr).toMatch(/Security Hub: 0 imported .* \d+ unchanged not re-imported.* 0 BatchImportFindings call/);
  });

  it('--format asff prints Security Hub findings', async () => {
    const r = await runCli(['scan', '--format', 'asff', '--fail-on', 'none'], account.env(REGION));
    const { Findings } = JSON.parse(r.stdout);
    expect(Findings[0]).toMatchObject({ SchemaVersion: '2018-10-08', AwsAccountId: account.accountId, RecordState: 'ACTIVE' });
    expect(Findings[0].Id).toMatch(new RegExp(`^influxguard/${account.accountId}/${REGION}/`));
  });

  it('--version and --help', async () => {
    expect((await runCli(['--version'], {})).stdout.trim()).toBe(VERSION);
    const help = await runCli(['--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--fail-on/);
    expect((await runCli([], {})).code).toBe(2);
  });
});
