import { describe, expect, it } from '@jest/globals';
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { callerAccount } from '../../lib/scan.js';
import { seedEstate } from '../../scripts/estate.js';
import { testAccount } from '../support/aws.js';

describe('test accounts in the shared emulator', () => {
  it('are isolated from each other and reported by STS', async () => {
    const a = await testAccount();
    const b = await testAccount();
    await seedEstate(a.seeder('eu-west-1'), { region: 'eu-west-1', vpcCidr: '10.42.0.0/16', groups: [], instances: [] });
    const vpcs = async (acct: typeof a) =>
      ((await acct.seeder('eu-west-1').send(new DescribeVpcsCommand({}))).Vpcs ?? []).map((v) => v.CidrBlock);
    expect(await vpcs(a)).toContain('10.42.0.0/16');
    expect(await vpcs(b)).not.toContain('10.42.0.0/16');
    const { clients } = a.clients();
    expect(await callerAccount(clients, 'eu-west-1')).toBe(a.accountId);
  });

  it('the seeder refuses a non-loopback endpoint', async () => {
    const { EC2Client } = await import('@aws-sdk/client-ec2');
    const real = new EC2Client({ region: 'eu-west-1', endpoint: 'https://ec2.eu-west-1.amazonaws.com' });
    await expect(seedEstate(real, { region: 'eu-west-1', groups: [], instances: [] })).rejects.toThrow(/refusing/);
  });
});
