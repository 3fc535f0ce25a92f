/** A containerised InfluxDB's findings in OCSF name the service behind a group finding as the service (issue 30). */
import { describe, expect, it } from '@jest/globals';
import type { Finding } from '../../lib/model.js';
import { toOcsf } from '../../lib/render/ocsf.js';

const SERVICE = 'arn:aws:ecs:eu-west-1:123456789012:service/prod/influxdb';
const finding: Finding = {
  checkId: 'net.http-port-public',
  status: 'FAILED',
  severity: 'CRITICAL',
  title: 'InfluxDB HTTP API port 8086 is open to the internet',
  accountId: '123456789012',
  region: 'eu-west-1',
  instanceId: SERVICE,
  resource: { type: 'AwsEc2SecurityGroup', id: 'sg-0123456789abcdef0' },
  evidence: { summary: 'open' },
  remediation: { text: 'close it', url: 'https://example.com/' },
};

describe('OCSF resources of an ECS finding', () => {
  it('the subject behind a group finding is the AwsEcsService, not an EC2 instance (fails on the code before issue 30)', () => {
    const resources = toOcsf(finding, { scanId: 's', finishedAt: '2026-12-05T00:00:00Z' }).resources as { type: string; uid: string }[];
    expect(resources.map((r) => `${r.type} ${r.uid}`)).toEqual([
      'AwsEc2SecurityGroup arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0123456789abcdef0',
      `AwsEcsService ${SERVICE}`,
    ]);
  });

  it('an EC2 instance is still named as one', () => {
    const ec2 = { ...finding, instanceId: 'i-0123456789abcdef0' };
    const resources = toOcsf(ec2, { scanId: 's', finishedAt: '2026-12-05T00:00:00Z' }).resources as { type: string; uid: string }[];
    expect(resources[1]).toMatchObject({ type: 'AwsEc2Instance', uid: 'arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0' });
  });
});

describe('the Security Hub lifecycle reads an ECS subject back from its finding Id', () => {
  it('a service or task ARN holds slashes: the Id still names it whole (fails on the code before issue 30)', async () => {
    const { findingId } = await import('../../lib/findings/asff.js');
    const { parseFindingId } = await import('../../lib/publish/lifecycle.js');
    const task = 'arn:aws:ecs:eu-west-1:123456789012:task/prod/0123456789abcdef0123456789abcdef';
    const family = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/influxdb';
    for (const [instanceId, resourceId] of [
      [SERVICE, 'sg-0123456789abcdef0'],
      [SERVICE, family],
      [task, task],
      ['i-0123456789abcdef0', 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/0123456789abcdef'],
      ['abcde12345', 'abcde12345'],
    ] as const) {
      const id = findingId({ ...finding, instanceId, resource: { type: 'Other', id: resourceId } });
      expect(parseFindingId(id)).toEqual({
        accountId: '123456789012',
        region: 'eu-west-1',
        checkId: finding.checkId,
        instanceId,
        resourceId,
      });
    }
    expect(parseFindingId('influxguard/123456789012/eu-west-1/ebs.default-encryption-disabled/-/123456789012')).toEqual({
      accountId: '123456789012',
      region: 'eu-west-1',
      checkId: 'ebs.default-encryption-disabled',
      resourceId: '123456789012',
    });
  });
});
