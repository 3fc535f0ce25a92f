/**
 * Findings you can trust (issue 20): a rescan whose evidence is throttled or
 * denied never resolves or archives an earlier failure; a scan of named
 * instances publishes exactly their findings; a run that checked nothing is
 * never green. Through the real CLI binary, a fault proxy and moto.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnableSecurityHubCommand, SecurityHubClient, paginateGetFindings, type AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { parseConfig } from '../../lib/config.js';
import { publishScan } from '../../lib/publish/index.js';
import { scan } from '../../lib/scan.js';
import { seedEstate, type SeededEstate } from '../../scripts/estate.js';
import { startFaultProxy, type FaultProxy } from '../../scripts/fault-proxy.js';
import { endpoint, testAccount, type TestAccount } from '../support/aws.js';
import { runCli } from '../support/cli.js';

const R = 'eu-north-1';
let account: TestAccount;
let estate: SeededEstate;
let proxy: FaultProxy;
let configFile = '';

async function securityHub(): Promise<Map<string, AwsSecurityFinding>> {
  const sh = new SecurityHubClient({ region: R, endpoint: endpoint(), credentials: account.credentials });
  const out = new Map<string, AwsSecurityFinding>();
  for await (const page of paginateGetFindings({ client: sh, pageSize: 100 }, {})) for (const f of page.Findings ?? []) out.set(f.Id!, f);
  sh.destroy();
  return out;
}

/** The CLI, with every AWS call going through the fault proxy. */
const cli = (args: string[]) =>
  runCli(['scan', '--publish', '--config', configFile, '--format', 'json', '--quiet', ...args], {
    ...account.env(R),
    AWS_ENDPOINT_URL: proxy.endpoint,
  });

const failedIds = (snap: Map<string, AwsSecurityFinding>) =>
  [...snap.values()].filter((f) => f.Compliance?.Status === 'FAILED' && f.RecordState === 'ACTIVE').map((f) => f.Id!);

beforeAll(async () => {
  account = await testAccount();
  await new SecurityHubClient({ region: R, endpoint: endpoint(), credentials: account.credentials }).send(new EnableSecurityHubCommand({}));
  // Seven instances whose failures are filed under security groups and volumes, plus the region's EBS default.
  estate = await seedEstate(account.seeder(R), {
    region: R,
    ebsDefaultEncryption: false,
    groups: [
      {
        name: 'world',
        rules: [
          { ports: 8086, cidrs: ['0.0.0.0/0'] },
          { ports: 22, cidrs: ['0.0.0.0/0'] },
        ],
      },
      { name: 'rpc', rules: [{ ports: 8088, cidrs: ['10.0.0.0/16'] }] },
      { name: 'v6', rules: [{ ports: 8086, ipv6: ['::/0'] }] },
    ],
    instances: [
      {
        name: 'pub',
        tags: { influxdb: '' },
        groups: ['world'],
        publicIp: true,
        volumes: [{ device: '/dev/sdf', sizeGiB: 10, encrypted: false }],
      },
      { name: 'rpc', tags: { influxdb: '' }, groups: ['rpc'], count: 3, volumes: [{ device: '/dev/sdf', sizeGiB: 10, encrypted: false }] },
      { name: 'v6', tags: { Service: 'influxdb' }, groups: ['v6', 'rpc'], count: 3 },
    ],
  });
  proxy = await startFaultProxy(endpoint(), { rates: {} });
  const dir = mkdtempSync(join(tmpdir(), 'influxguard-trust-'));
  configFile = join(dir, 'config.json');
  // Few SDK attempts: throttling stays throttling within the test's time.
  writeFileSync(configFile, JSON.stringify({ aws: { maxAttempts: 2, connectTimeoutMs: 1000, requestTimeoutMs: 5000 } }));
}, 120_000);

afterAll(async () => {
  await proxy.stop();
});

describe('a rescan whose evidence cannot be gathered', () => {
  const kept: Record<string, string> = {};

  it.each([
    ['throttling', 'throttle' as const],
    ['AccessDenied', 'deny' as const],
  ])(
    'keeps 100%% of the earlier failures FAILED and ACTIVE under %s of DescribeVolumes and DescribeSecurityGroups',
    async (name, fault) => {
      proxy.setPlan({ rates: {} });
      const first = await cli([]);
      expect(first.code).toBe(1);
      const before = await securityHub();
      const failing = failedIds(before);
      expect(failing.filter((id) => /net\.|ebs\.volume/.test(id)).length).toBeGreaterThanOrEqual(10);

      proxy.setPlan({ rates: { 'ec2:DescribeVolumes': 1, 'ec2:DescribeSecurityGroups': 1 }, faults: [fault] });
      const rescan = await cli([]);
      expect(rescan.stderr).toMatch(/NOT_AVAILABLE/);
      const doc = JSON.parse(rescan.stdout);
      expect(
        doc.findings.some(
          (f: { status: string; evidence: { reason?: string } }) =>
            f.status === 'NOT_AVAILABLE' && /DescribeSecurityGroups|DescribeVolumes/.test(f.evidence.reason ?? ''),
        ),
      ).toBe(true);
      const after = await securityHub();
      const lost = failing.filter((id) => after.get(id)?.Compliance?.Status !== 'FAILED' || after.get(id)?.RecordState !== 'ACTIVE');
      expect(lost).toEqual([]);
      // Nothing passed or archived by the rescan at all.
      expect(
        [...after.values()].filter(
          (f) => before.get(f.Id!)?.Compliance?.Status === 'FAILED' && (f.Compliance?.Status === 'PASSED' || f.RecordState === 'ARCHIVED'),
        ),
      ).toEqual([]);
      kept[name] = `${failing.length - lost.length} of ${failing.length}`;
    },
    120_000,
  );

  it('and a clean rescan afterwards changes nothing that did not change', async () => {
    proxy.setPlan({ rates: {} });
    const before = failedIds(await securityHub()).sort();
    const r = await cli([]);
    expect(r.code).toBe(1);
    expect(failedIds(await securityHub()).sort()).toEqual(before);
    console.info(
      `trust: failures kept FAILED and ACTIVE through the faulty rescans: ${JSON.stringify(kept)}; proxy: ${proxy.requests} requests, injected ${JSON.stringify(proxy.injected)}`,
    );
  }, 120_000);
});

describe('archiving', () => {
  it('a scan narrowed to fewer instances archives nothing of the others: only a terminated or vanished instance is gone', async () => {
    proxy.setPlan({ rates: {} });
    await cli([]);
    const before = failedIds(await securityHub());
    const pub = estate.instances.pub![0]!;
    const narrowed = await cli(['--tag', 'Service=influxdb']);
    expect(narrowed.stderr).not.toMatch(/archived [1-9]/);
    const after = await securityHub();
    const archived = before.filter((id) => after.get(id)?.RecordState === 'ARCHIVED');
    expect(archived).toEqual([]);
    expect(before.some((id) => id.includes(`/${pub}/`))).toBe(true);
  }, 120_000);
});

describe('a scan of named instances', () => {
  it('publishes exactly their findings', async () => {
    const config = parseConfig({ regions: [R], probe: { enabled: false, allowedCidrs: ['127.0.0.0/8'] }, publish: { enabled: true } });
    const { clients } = account.clients(config);
    const named = estate.instances.pub![0]!;
    const result = await scan(config, {
      clients,
      homeRegion: R,
      unit: { instanceIds: [named], knownInstanceIds: [named], regionChecks: false, regionComplete: false },
    });
    const report = await publishScan(result, config, { clients, importOptions: { pacingMs: 0 } });
    clients.destroy();
    expect(report.securityHub.skippedRegions).toEqual([]);
    const mine = result.document.findings.filter((f) => f.instanceId === named);
    expect(mine.length).toBeGreaterThan(0);
    expect(result.document.findings.every((f) => f.instanceId === named)).toBe(true);
    expect(report.securityHub.archived).toBe(0);
    expect(report.securityHub.resolved).toBe(0);
  }, 60_000);
});

describe('exit codes: a run that checked nothing is never green', () => {
  it('a scan in which no instance matched exits 3 and names the selectors and regions', async () => {
    proxy.setPlan({ rates: {} });
    const r = await runCli(['scan', '--tag', 'nothing-has-this', '--format', 'json'], account.env(R));
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`incomplete: no instance matched tag nothing-has-this in ${R}`));
    const d = await runCli(['scan', '--format', 'json', '--region', `${R},eu-west-3`], account.env(R));
    expect(d.code).toBe(1); // a region without InfluxDB in a multi-region scan is normal
    expect(d.stderr).not.toMatch(/incomplete/);
  }, 60_000);

  it('a region whose instances cannot be listed exits 3 (1 when something else failed)', async () => {
    proxy.setPlan({ rates: { 'ec2:DescribeInstances': 1 }, faults: ['deny'] });
    const r = await runCli(['scan', '--format', 'json', '--config', configFile], { ...account.env(R), AWS_ENDPOINT_URL: proxy.endpoint });
    proxy.setPlan({ rates: {} });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /incomplete: instances of \d{12}\/eu-north-1 could not be listed: ec2:DescribeInstances failed: UnauthorizedOperation/,
    );
  }, 60_000);

  it('--fail-on-unavailable makes any NOT_AVAILABLE count as incomplete', async () => {
    proxy.setPlan({ rates: { 'ec2:DescribeVolumes': 1 }, faults: ['deny'] });
    const env = { ...account.env(R), AWS_ENDPOINT_URL: proxy.endpoint };
    const plain = await runCli(['scan', '--format', 'json', '--config', configFile, '--fail-on', 'none'], env);
    const strict = await runCli(['scan', '--format', 'json', '--config', configFile, '--fail-on', 'none', '--fail-on-unavailable'], env);
    proxy.setPlan({ rates: {} });
    expect(plain.code).toBe(0);
    expect(strict.code).toBe(3);
    expect(strict.stderr).toMatch(/incomplete: \d+ findings? NOT_AVAILABLE \(--fail-on-unavailable\)/);
  }, 60_000);

  it('--fail-on-unavailable counts a failing finding whose severity could not be decided, and the table says why (review 1b)', async () => {
    // Route tables unread: the world-open 8086 of a public instance stays FAILED HIGH, not raised to CRITICAL, incomplete.
    proxy.setPlan({ rates: { 'ec2:DescribeRouteTables': 1 }, faults: ['deny'] });
    const env = { ...account.env(R), AWS_ENDPOINT_URL: proxy.endpoint };
    const r = await runCli(['scan', '--format', 'table', '--config', configFile, '--fail-on', 'CRITICAL', '--fail-on-unavailable'], env);
    proxy.setPlan({ rates: {} });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/incomplete: \d+ failing findings? on incomplete evidence \(--fail-on-unavailable\)/);
    expect(r.stdout).toMatch(/incomplete: .*\n?.*DescribeRouteTables/); // the table wraps long lines
  }, 60_000);

  it('probe of a closed port exits 3 within the connect timeout', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const started = Date.now();
    const r = await runCli(['probe', `http://127.0.0.1:${port}`, '--allow-cidr', '127.0.0.0/8'], {});
    expect(r.code).toBe(3);
    expect(Date.now() - started).toBeLessThan(3000 + 2000); // connect timeout 3 s, plus Node's start
    expect(r.stderr).toMatch(new RegExp(`incomplete: http://127.0.0.1:${port}: .*ECONNREFUSED`));
    const refused = await runCli(['probe', '10.1.2.3', '--allow-cidr', '127.0.0.0/8'], {});
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/incomplete: 10\.1\.2\.3: /);
  }, 30_000);

  it('probe --format asff is a usage error; a typo in the config file is an error naming the key', async () => {
    const asff = await runCli(['probe', '127.0.0.1', '--format', 'asff'], {});
    expect(asff.code).toBe(2);
    expect(asff.stderr).toMatch(/usage: --format asff needs the account and region of a scan/);
    const dir = mkdtempSync(join(tmpdir(), 'influxguard-config-'));
    writeFileSync(join(dir, 'typo.json'), JSON.stringify({ regoins: ['eu-west-1'], probe: { enabeld: false } }));
    const typo = await runCli(['scan', '--config', join(dir, 'typo.json')], account.env(R));
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/unknown key "regoins"/);
    expect(typo.stderr).toMatch(/unknown key "enabeld" in probe/);
  }, 30_000);

  it('--publish without an SNS topic says so once', async () => {
    const r = await runCli(['scan', '--publish', '--format', 'json', '--config', configFile], account.env(R));
    expect(r.stderr.match(/no SNS topic configured/g)).toHaveLength(1);
  }, 60_000);
});
