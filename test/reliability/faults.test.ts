/**
 * A full scan (discovery, checks, Security Hub, SNS) through a fault-injecting
 * proxy in front of the emulator. Under 10% faults on every service the
 * results match the fault-free run or say NOT_AVAILABLE with a reason, and
 * every finding is imported or listed as failed; under 100% faults for one
 * service the scan still finishes and says which service failed.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { parseConfig, type Config } from '../../lib/config.js';
import type { Finding, ScanDocument } from '../../lib/model.js';
import { publishScan, type PublishReport } from '../../lib/publish/index.js';
import { scan } from '../../lib/scan.js';
import { seedEstate, type SeededEstate } from '../../scripts/estate.js';
import { startFaultProxy, type FaultProxy } from '../../scripts/fault-proxy.js';
import { endpoint, testAccount, type TestAccount } from '../support/aws.js';

const R = 'ap-south-1';
let account: TestAccount;
let estate: SeededEstate;
let proxy: FaultProxy;
let topicArn = '';

const config = (): Config =>
  parseConfig({
    regions: [R],
    probe: { enabled: false, allowedCidrs: ['127.0.0.0/8'] },
    publish: { enabled: true, snsTopicArn: topicArn },
    aws: { maxAttempts: 5, connectTimeoutMs: 1000, requestTimeoutMs: 5000 },
  });

/** Run a scan (and publish) with every client going through the proxy. */
async function runThroughProxy(publish: boolean): Promise<{ doc: ScanDocument; report?: PublishReport }> {
  const saved = process.env.AWS_ENDPOINT_URL;
  process.env.AWS_ENDPOINT_URL = proxy.endpoint;
  try {
    const cfg = config();
    const { clients } = account.clients(cfg);
    const result = await scan(cfg, { clients, homeRegion: R });
    const report = publish
      ? await publishScan(result, cfg, { clients, importOptions: { pacingMs: 0, sleep: async () => undefined } })
      : undefined;
    clients.destroy();
    return { doc: result.document, ...(report ? { report } : {}) };
  } finally {
    process.env.AWS_ENDPOINT_URL = saved;
  }
}

const key = (f: Finding) => `${f.checkId}|${f.instanceId ?? '-'}|${f.resource.id}`;

beforeAll(async () => {
  account = await testAccount();
  topicArn = (
    await new SNSClient({ region: R, endpoint: endpoint(), credentials: account.credentials }).send(
      new CreateTopicCommand({ Name: 'faults' }),
    )
  ).TopicArn!;
  estate = await seedEstate(account.seeder(R), {
    region: R,
    prefixLists: [{ name: 'office', cidrs: ['203.0.113.0/24'] }],
    groups: [
      {
        name: 'world',
        rules: [
          { ports: 8086, cidrs: ['0.0.0.0/0'] },
          { ports: 22, prefixLists: ['office'] },
        ],
      },
      { name: 'rpc', rules: [{ ports: 8088, cidrs: ['10.0.0.0/16'] }] },
    ],
    instances: [
      { name: 'a', tags: { influxdb: '' }, groups: ['world'], publicIp: true, count: 5 },
      { name: 'b', tags: { influxdb: '' }, groups: ['rpc'], volumes: [{ device: '/dev/sdf', sizeGiB: 10, encrypted: false }], count: 5 },
    ],
  });
  proxy = await startFaultProxy(endpoint(), { rates: {} });
}, 60_000);

afterAll(async () => {
  await proxy.stop();
});

describe('a full scan under injected AWS faults', () => {
  let baseline: ScanDocument;
  it('fault-free through the proxy: the reference run', async () => {
    ({ doc: baseline } = await runThroughProxy(false));
    expect(baseline.summary.FAILED).toBeGreaterThan(10);
    expect(baseline.summary.NOT_AVAILABLE).toBe(0);
    expect(estate.instances.a).toHaveLength(5);
  });

  it('10% faults on every service, 5 runs: same results or NOT_AVAILABLE with a reason; every finding imported or reported', async () => {
    let requests = 0;
    for (const seed of [11, 12, 13, 14, 15]) {
      proxy.setPlan({ rates: { '*': 0.1 }, seed });
      const before = proxy.requests;
      const { doc, report } = await runThroughProxy(true);
      requests += proxy.requests - before;
      const now = new Map(doc.findings.map((f) => [key(f), f]));
      const regionLost = doc.findings.some(
        (x) => x.resource.type === 'AwsAccount' && x.status === 'NOT_AVAILABLE' && x.checkId !== 'ebs.default-encryption-disabled',
      );
      for (const f of baseline.findings) {
        const g = now.get(key(f));
        if (!g) {
          expect(regionLost).toBe(true); // only a region that could not be listed loses per-instance findings, and it says so
          continue;
        }
        if (g.status === 'NOT_AVAILABLE' && f.status !== 'NOT_AVAILABLE') expect(String(g.evidence.reason)).toMatch(/failed/);
        else expect({ k: key(f), status: g.status }).toEqual({ k: key(f), status: f.status });
      }
      for (const g of doc.findings) if (g.status === 'FAILED') expect(baseline.findings.some((f) => key(f) === key(g))).toBe(true);
      const sh = report!.securityHub;
      for (const f of sh.failed) expect(f.reason.length).toBeGreaterThan(0);
      expect(sh.imported + sh.failed.length).toBeLessThanOrEqual(doc.findings.length + sh.resolved + sh.archived);
      expect(doc.summary.FAILED + doc.summary.PASSED + doc.summary.NOT_AVAILABLE + doc.summary.WARNING).toBe(doc.findings.length);
    }
    const injected = Object.values(proxy.injected).reduce((n, kinds) => n + Object.values(kinds).reduce((a, b) => a + b, 0), 0);
    console.info(`10% fault runs: ${requests} requests, ${injected} faults injected and survived: ${JSON.stringify(proxy.injected)}`);
    expect(injected).toBeGreaterThan(3);
  }, 180_000);

  it('100% faults on Security Hub: the scan finishes and every finding is reported as not imported, naming the service', async () => {
    proxy.setPlan({ rates: { securityhub: 1 }, faults: ['error'], seed: 3 });
    const { doc, report } = await runThroughProxy(true);
    expect(doc.summary.FAILED).toBe(baseline.summary.FAILED);
    const sh = report!.securityHub;
    expect(sh.imported).toBe(0);
    expect(sh.skippedRegions.map((s) => s.reason).join(' ')).toMatch(/securityhub:GetFindings failed/);
    expect(sh.failed.length).toBe(doc.findings.length);
  }, 120_000);

  it('100% faults on EC2: the scan finishes, every AWS check says which call failed', async () => {
    proxy.setPlan({ rates: { ec2: 1 }, faults: ['throttle'], seed: 5 });
    const { doc } = await runThroughProxy(false).catch((err: Error) => ({ doc: undefined as unknown as ScanDocument, err }));
    // DescribeRegions is account-level: without it the region is scanned unvalidated, and DescribeInstances fails.
    expect(doc.findings.length).toBeGreaterThan(0);
    expect(
      doc.findings.every(
        (f) => f.status === 'NOT_AVAILABLE' && /ec2:DescribeInstances failed: RequestLimitExceeded/.test(String(f.evidence.reason)),
      ),
    ).toBe(true);
    proxy.setPlan({ rates: {} });
  }, 120_000);
});
