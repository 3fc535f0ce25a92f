import { describe, expect, it } from '@jest/globals';
import { defaultEncryptionDisabled, snapshotPublic, snapshotUnencrypted, volumeUnencrypted } from '../../lib/checks/ebs.js';
import { evaluateInstance, evaluateRegion } from '../../lib/evaluate.js';
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

describe('ebs.snapshot-public and ebs.snapshot-unencrypted', () => {
  const snap = (id: string, encrypted: boolean) => ({ snapshotId: id, volumeId: 'vol-2', device: '/dev/sdf', encrypted });
  it('a public snapshot is CRITICAL unless Block Public Access blocks all sharing', () => {
    const pub = ok([snap('snap-1', false)]);
    const [f] = evaluateInstance([snapshotPublic], ctx({ evidence: { publicSnapshots: pub, snapshotBlockPublicAccess: ok('unblocked') } }));
    expect(f).toMatchObject({ status: 'FAILED', severity: 'CRITICAL', resource: { type: 'Other', id: 'snap-1' } });
    const blocked = snapshotPublic.evaluate(
      ctx({ evidence: { publicSnapshots: pub, snapshotBlockPublicAccess: ok('block-all-sharing') } }),
    );
    expect(blocked).toEqual([expect.objectContaining({ status: 'PASSED' })]);
    // block-new-sharing leaves snapshots shared before it public.
    expect(
      snapshotPublic.evaluate(ctx({ evidence: { publicSnapshots: pub, snapshotBlockPublicAccess: ok('block-new-sharing') } }))[0],
    ).toMatchObject({ status: 'FAILED' });
  });
  it('Block Public Access unreadable: a public snapshot stays FAILED, incomplete; none public is a complete PASSED', () => {
    const bpa = fail<string>('ec2:GetSnapshotBlockPublicAccessState failed: UnauthorizedOperation');
    const [o] = snapshotPublic.evaluate(ctx({ evidence: { publicSnapshots: ok([snap('snap-1', true)]), snapshotBlockPublicAccess: bpa } }));
    expect(o).toMatchObject({ status: 'FAILED', incomplete: expect.stringContaining('UnauthorizedOperation') });
    const assessed = new Set<string>();
    const [p] = evaluateInstance(
      [snapshotPublic],
      ctx({ evidence: { publicSnapshots: ok([]), snapshotBlockPublicAccess: bpa } }),
      assessed,
    );
    expect(p).toMatchObject({ status: 'PASSED' });
    expect(assessed.size).toBe(1);
  });
  it('NOT_AVAILABLE with the reason when the public snapshots could not be listed', () => {
    const reason = 'ec2:DescribeSnapshots failed: UnauthorizedOperation';
    const [f] = evaluateInstance(
      [snapshotPublic, snapshotUnencrypted],
      ctx({ evidence: { publicSnapshots: fail(reason), snapshots: fail(reason) } }),
    );
    expect(f).toMatchObject({ status: 'NOT_AVAILABLE', evidence: { reason } });
  });
  it('one finding per owned snapshot: FAILED when unencrypted', () => {
    const outcomes = snapshotUnencrypted.evaluate(ctx({ evidence: { snapshots: ok([snap('snap-1', false), snap('snap-2', true)]) } }));
    expect(outcomes.map((o) => [o.resource?.id, o.status])).toEqual([
      ['snap-1', 'FAILED'],
      ['snap-2', 'PASSED'],
    ]);
  });
});
