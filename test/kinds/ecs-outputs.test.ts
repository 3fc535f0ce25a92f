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
