import { describe, expect, it } from '@jest/globals';
import { defaultEncryptionDisabled, volumeUnencrypted } from '../../lib/checks/ebs.js';
import { evaluateRegion } from '../../lib/evaluate.js';
import { fail, ok, type RegionContext } from '../../lib/model.js';
import { ctx, instance } from '../support/fixtures.js';

describe('ebs.volume-unencrypted', () => {
  it('reports one finding per volume, on the volume resource', () => {
    const outcomes = volumeUnencrypted.evaluate(
      ctx({
        volumes: [
          { volumeId: 'vol-1', device: '/dev/xvda', encrypted: true, kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k' },
          { volumeId: 'vol-2', device: '/dev/sdf', encrypted: false, sizeGiB: 100 },
        ],
      }),
    );
    expect(outcomes).toEqual([
      expect.objectContaining({ status: 'PASSED', resource: { type: 'AwsEc2Volume', id: 'vol-1' } }),
      expect.objectContaining({ status: 'FAILED', resource: { type: 'AwsEc2Volume', id: 'vol-2' } }),
    ]);
    expect(outcomes[1]!.summary).toContain('100 GiB');
  });
  it('says nothing for an instance without EBS volumes', () => {
    expect(volumeUnencrypted.evaluate(ctx({ volumes: [] }))).toEqual([]);
  });
});

describe('ebs.default-encryption-disabled', () => {
  const region = (over: Partial<RegionContext> = {}): RegionContext => ({
    accountId: '111122223333',
    region: 'eu-west-1',
    instances: [instance()],
    settings: { allowedPorts: [], certificateWarningDays: 30, defaultCredentials: false },
    evidence: { ebsDefaultEncryption: ok(false) },
    ...over,
  });
  it('fails when off, passes when on', () => {
    expect(defaultEncryptionDisabled.evaluate(region())[0]).toMatchObject({ status: 'FAILED' });
    expect(defaultEncryptionDisabled.evaluate(region({ evidence: { ebsDefaultEncryption: ok(true) } }))[0]).toMatchObject({
      status: 'PASSED',
    });
  });
  it('applies only to regions with InfluxDB instances', () => {
    expect(defaultEncryptionDisabled.appliesTo!(region({ instances: [] }))).toBe(false);
  });
  it('becomes an account-level finding, NOT_AVAILABLE with the reason when unreadable', () => {
    const [f] = evaluateRegion(
      [defaultEncryptionDisabled],
      region({ evidence: { ebsDefaultEncryption: fail('ec2:GetEbsEncryptionByDefault failed: AccessDenied') } }),
    );
    expect(f).toMatchObject({
      status: 'NOT_AVAILABLE',
      accountId: '111122223333',
      region: 'eu-west-1',
      resource: { type: 'AwsAccount', id: '111122223333' },
    });
    expect(f!.instanceId).toBeUndefined();
    const [g] = evaluateRegion([defaultEncryptionDisabled], region());
    expect(g).toMatchObject({ status: 'FAILED', severity: 'MEDIUM', resource: { type: 'AwsAccount' } });
  });
});
