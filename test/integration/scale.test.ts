/**
 * EC2 calls grow with pages, not with instances: the same estate shape at
 * 10 and 1000 instances, counted by the client middleware. The one read per
 * instance (DescribeInstanceAttribute userData: EC2 has no batch read) is
 * counted apart, and a rescan of the same running instances makes none.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../lib/config.js';
import { clearUserDataCache } from '../../lib/discover/instance-data.js';
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
type Count = { ec2: number; perInstance: number; byOp: Record<string, number>; findings: number };
const counts: Record<number, Count> = {};
let rescan: Count;
const PER_INSTANCE = 'ec2:DescribeInstanceAttribute';

async function measure(region: string, n: number, seed = true): Promise<Count> {
  if (seed) await seedEstate(account.seeder(region), estate(region, n));
  const config = parseConfig({ probe: { enabled: false, allowedCidrs: ['127.0.0.0/8'] }, regions: [region] });
  const { clients, counter } = account.clients(config);
  const { document } = await scan(config, { clients, homeRegion: region });
  const byOp = counter.callsByOperation();
  const perInstance = byOp[PER_INSTANCE] ?? 0;
  return { ec2: counter.total('ec2') - perInstance, perInstance, byOp, findings: document.findings.length };
}

beforeAll(async () => {
  account = await testAccount();
  clearUserDataCache();
  counts[10] = await measure('ap-southeast-2', 10);
  counts[1000] = await measure('ca-central-1', 1000);
  rescan = await measure('ca-central-1', 1000, false);
  // Figures for the issue note (the benchmark owns timing; this test owns counts).
  console.info(
    `EC2 calls per scan: 10 instances → ${JSON.stringify(counts[10])}; 1000 instances → ${JSON.stringify(counts[1000])}; rescan → ${JSON.stringify(rescan)}`,
  );
}, 240_000);

describe('EC2 calls per scan', () => {
  it('cover every instance', () => {
    expect(counts[10]!.findings).toBeGreaterThan(10 * 4);
    expect(counts[1000]!.findings).toBe((counts[10]!.findings - 1) * 100 + 1);
  });
  it('stay within 10 for one region of 1000 instances (plus one account-level DescribeRegions, and the snapshot chunks)', () => {
    expect(counts[1000]!.byOp['ec2:DescribeRegions']).toBe(1);
    // 2,000 volumes: 10 DescribeSnapshots by 200 volume ids, 1 for the public ones.
    expect(counts[1000]!.byOp['ec2:DescribeSnapshots']).toBe(11);
    expect(counts[1000]!.ec2 - 1 - 11).toBeLessThanOrEqual(10);
  });
  it('read user data once per instance, and not again on a rescan of the same running instances', () => {
    expect(counts[1000]!.perInstance).toBe(1000);
    expect(rescan.perInstance).toBe(0);
    expect(rescan.findings).toBe(counts[1000]!.findings);
    expect(rescan.ec2).toBe(counts[1000]!.ec2);
  });
  it('grow only with pages and id chunks (1,000 volume ids per DescribeVolumes)', () => {
    expect(counts[1000]!.byOp['ec2:DescribeInstances']).toBe(counts[10]!.byOp['ec2:DescribeInstances']);
    expect(counts[1000]!.byOp['ec2:DescribeSecurityGroups']).toBe(counts[10]!.byOp['ec2:DescribeSecurityGroups']);
    expect(counts[1000]!.byOp['ec2:DescribeVolumes']).toBe(2); // 2,000 volumes (root + data)
    expect(counts[1000]!.byOp['ec2:GetManagedPrefixListEntries']).toBe(1);
  });
});
