/**
 * EC2 calls grow with pages, not with instances: the same estate shape at
 * 10 and 1000 instances, counted by the client middleware.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../lib/config.js';
import { scan } from '../../lib/scan.js';
import { seedEstate, type EstateSpec } from '../../scripts/estate.js';
import { testAccount, type TestAccount } from '../support/aws.js';

const estate = (region: string, n: number): EstateSpec => ({
  region,
  prefixLists: [{ name: 'office', cidrs: ['203.0.113.0/24'] }],
  groups: [
    {
      name: 'influx',
      rules: [
        { ports: 8086, cidrs: ['10.0.0.0/16'] },
        { ports: 8086, prefixLists: ['office'] },
      ],
    },
    { name: 'ssh', rules: [{ ports: 22, cidrs: ['10.0.0.0/8'] }] },
  ],
  instances: [
    {
      name: `fleet-${n}`,
      tags: { influxdb: '' },
      groups: ['influx', 'ssh'],
      volumes: [{ device: '/dev/sdf', sizeGiB: 50, encrypted: false }],
      count: n,
    },
  ],
});

let account: TestAccount;
const counts: Record<number, { ec2: number; byOp: Record<string, number>; findings: number }> = {};

async function measure(region: string, n: number) {
  await seedEstate(account.seeder(region), estate(region, n));
  const config = parseConfig({ probe: { enabled: false, allowedCidrs: ['127.0.0.0/8'] }, regions: [region] });
  const { clients, counter } = account.clients(config);
  const { document } = await scan(config, { clients, homeRegion: region });
  counts[n] = { ec2: counter.total('ec2'), byOp: counter.callsByOperation(), findings: document.findings.length };
  return document;
}

beforeAll(async () => {
  account = await testAccount();
  await measure('ap-southeast-2', 10);
  await measure('ca-central-1', 1000);
  // Figures for the issue note (the benchmark owns timing; this test owns counts).
  console.info(`EC2 calls per scan: 10 instances → ${JSON.stringify(counts[10])}; 1000 instances → ${JSON.stringify(counts[1000])}`);
}, 240_000);

describe('EC2 calls per scan', () => {
  it('cover every instance', () => {
    expect(counts[10]!.findings).toBeGreaterThan(10 * 4);
    expect(counts[1000]!.findings).toBe((counts[10]!.findings - 1) * 100 + 1);
  });
  it('stay within 10 for one region of 1000 instances (plus one account-level DescribeRegions)', () => {
    expect(counts[1000]!.byOp['ec2:DescribeRegions']).toBe(1);
    expect(counts[1000]!.ec2 - 1).toBeLessThanOrEqual(10);
  });
  it('grow only with pages and id chunks (1,000 volume ids per DescribeVolumes)', () => {
    expect(counts[1000]!.byOp['ec2:DescribeInstances']).toBe(counts[10]!.byOp['ec2:DescribeInstances']);
    expect(counts[1000]!.byOp['ec2:DescribeSecurityGroups']).toBe(counts[10]!.byOp['ec2:DescribeSecurityGroups']);
    expect(counts[1000]!.byOp['ec2:DescribeVolumes']).toBe(2); // 2,000 volumes (root + data)
    expect(counts[1000]!.byOp['ec2:GetManagedPrefixListEntries']).toBe(1);
  });
});
