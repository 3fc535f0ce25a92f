/**
 * What moto cannot do: throttling, access denied, failing calls. Each failure
 * becomes NOT_AVAILABLE for exactly the part it affects; the scan goes on.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeRegionsCommand,
  DescribeSnapshotsCommand,
  DescribeSecurityGroupsCommand,
  DescribeVolumesCommand,
  EC2Client,
  GetEbsEncryptionByDefaultCommand,
  GetManagedPrefixListEntriesCommand,
  GetSnapshotBlockPublicAccessStateCommand,
  type Instance as Ec2Instance,
} from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { createClients } from '../../lib/aws/clients.js';
import { clearUserDataCache } from '../../lib/discover/instance-data.js';
import { parseConfig } from '../../lib/config.js';
import { InfluxguardError } from '../../lib/errors.js';
import { scan } from '../../lib/scan.js';

const ec2 = mockClient(EC2Client);
const sts = mockClient(STSClient);
afterEach(() => {
  ec2.reset();
  sts.reset();
});

const awsError = (name: string, message: string, status = 400) =>
  Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: status } });

/** One instance behind a world-open group; `instance`: more of its DescribeInstances answer. */
function healthyEstate(instance: Partial<Ec2Instance> = {}) {
  sts.on(GetCallerIdentityCommand).resolves({ Account: '111122223333' });
  ec2.on(DescribeRegionsCommand).resolves({ Regions: [{ RegionName: 'eu-west-1' }, { RegionName: 'us-east-1' }] });
  ec2.on(DescribeInstancesCommand).resolves({
    Reservations: [
      {
        Instances: [
          {
            InstanceId: 'i-0aaa',
            State: { Name: 'running' },
            Tags: [{ Key: 'influxdb', Value: '' }],
            NetworkInterfaces: [
              {
                NetworkInterfaceId: 'eni-1',
                PrivateIpAddresses: [{ PrivateIpAddress: '10.0.1.5' }],
                Groups: [{ GroupId: 'sg-0000000000000000a' }],
              },
            ],
            BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeId: 'vol-1' } }],
            ...instance,
          },
        ],
      },
    ],
  });
  ec2.on(DescribeSecurityGroupsCommand).resolves({
    SecurityGroups: [
      {
        GroupId: 'sg-0000000000000000a',
        GroupName: 'influx',
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 8086, ToPort: 8086, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
          { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, PrefixListIds: [{ PrefixListId: 'pl-0000000000000000a' }] },
        ],
      },
    ],
  });
  ec2
    .on(DescribeVolumesCommand)
    .resolves({ Volumes: [{ VolumeId: 'vol-1', Encrypted: true, Attachments: [{ InstanceId: 'i-0aaa', Device: '/dev/xvda' }] }] });
  ec2.on(GetEbsEncryptionByDefaultCommand).resolves({ EbsEncryptionByDefault: true });
  ec2.on(GetManagedPrefixListEntriesCommand).resolves({ Entries: [{ Cidr: '10.9.0.0/16' }] });
}

async function run(regions = ['eu-west-1']) {
  const config = parseConfig({
    probe: { enabled: false, allowedCidrs: ['127.0.0.0/8'] },
    regions,
    aws: { maxAttempts: 2, connectTimeoutMs: 500, requestTimeoutMs: 1000 },
  });
  const clients = createClients({ aws: config.aws, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  return (await scan(config, { clients, homeRegion: 'eu-west-1' })).document;
}
const statusOf = (doc: Awaited<ReturnType<typeof run>>, checkId: string) =>
  doc.findings.filter((f) => f.checkId === checkId).map((f) => f.status);

describe('AWS failures', () => {
  it('a throttled DescribeVolumes makes only the volume check NOT_AVAILABLE', async () => {
    healthyEstate();
    ec2.on(DescribeVolumesCommand).rejects(awsError('RequestLimitExceeded', 'Request limit exceeded.', 503));
    const doc = await run();
    expect(statusOf(doc, 'ebs.volume-unencrypted')).toEqual(['NOT_AVAILABLE']);
    const f = doc.findings.find((x) => x.checkId === 'ebs.volume-unencrypted')!;
    expect(f.evidence.reason).toMatch(/ec2:DescribeVolumes failed: RequestLimitExceeded/);
    expect(statusOf(doc, 'net.http-port-public')).toEqual(['FAILED']);
  });

  it('a volume deleted since the instances were listed: that chunk is read again by attachment', async () => {
    healthyEstate();
    ec2.on(DescribeVolumesCommand).rejects(awsError('InvalidVolume.NotFound', "The volume 'vol-1' does not exist."));
    ec2
      .on(DescribeVolumesCommand, { Filters: [{ Name: 'attachment.instance-id', Values: ['i-0aaa'] }] })
      .resolves({ Volumes: [{ VolumeId: 'vol-2', Encrypted: false, Attachments: [{ InstanceId: 'i-0aaa', Device: '/dev/sdf' }] }] });
    const doc = await run();
    expect(statusOf(doc, 'ebs.volume-unencrypted')).toEqual(['FAILED']);
    expect(ec2.commandCalls(DescribeVolumesCommand).map((c) => (c.args[0].input.VolumeIds ? 'ids' : 'attachment'))).toEqual([
      'ids',
      'attachment',
    ]);
  });

  it('an unreadable prefix list matters only where it could change the answer', async () => {
    healthyEstate();
    ec2.on(GetManagedPrefixListEntriesCommand).rejects(awsError('UnauthorizedOperation', 'You are not authorized'));
    const doc = await run();
    expect(statusOf(doc, 'net.unexpected-ports-open')).toEqual(['FAILED']); // TCP 22 is unexpected from any source
    expect(statusOf(doc, 'net.http-port-public')).toEqual(['FAILED']);
    const nets = doc.findings.filter((f) => f.checkId === 'net.rpc-port-exposed');
    expect(nets.map((f) => f.status)).toEqual(['PASSED']); // 22 is not 8088: the unknown source does not matter
  });

  it('regions whose instances cannot be listed are NOT_AVAILABLE at account level, never a pass', async () => {
    healthyEstate();
    ec2.on(DescribeInstancesCommand).rejects(awsError('AuthFailure', 'AWS was not able to validate the provided access credentials'));
    const config = parseConfig({
      probe: { enabled: false, allowedCidrs: ['127.0.0.0/8'] },
      regions: ['eu-west-1', 'us-east-1'],
      aws: { maxAttempts: 1, connectTimeoutMs: 500, requestTimeoutMs: 1000 },
    });
    const clients = createClients({ aws: config.aws, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const { document } = await scan(config, { clients, homeRegion: 'eu-west-1' });
    expect(document.summary.NOT_AVAILABLE).toBe(document.findings.length);
    expect(new Set(document.findings.map((f) => f.region))).toEqual(new Set(['eu-west-1', 'us-east-1']));
    expect(
      document.findings.every(
        (f) => f.resource.type === 'AwsAccount' && /DescribeInstances failed: AuthFailure/.test(String(f.evidence.reason)),
      ),
    ).toBe(true);
  });

  it('missing credentials are a typed credentials error, not a finding', async () => {
    healthyEstate();
    sts
      .on(GetCallerIdentityCommand)
      .rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    await expect(run()).rejects.toMatchObject({ kind: 'credentials', message: expect.stringContaining('Could not load credentials') });
    await expect(run()).rejects.toBeInstanceOf(InfluxguardError);
  });

  it('an unknown region is a usage error naming it', async () => {
    healthyEstate();
    await expect(run(['eu-west-9'])).rejects.toMatchObject({
      kind: 'usage',
      message: expect.stringContaining('unknown region "eu-west-9"'),
    });
  });

  it('--region all scans every enabled region', async () => {
    healthyEstate();
    ec2.on(DescribeRegionsCommand).resolves({
      Regions: [{ RegionName: 'eu-west-1' }, { RegionName: 'af-south-1', OptInStatus: 'not-opted-in' }, { RegionName: 'us-east-1' }],
    });
    const doc = await run(['all']);
    expect(doc.scope.regions).toEqual(['eu-west-1', 'us-east-1']);
  });
});

describe('snapshots, user data and metadata options (issue 31)', () => {
  const withInstanceData = (launchTime = new Date('2026-11-01T00:00:00Z')) => {
    healthyEstate({ LaunchTime: launchTime, MetadataOptions: { HttpEndpoint: 'enabled', HttpTokens: 'optional' } });
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: 'snap-1', VolumeId: 'vol-1', Encrypted: false }] });
    ec2.on(GetSnapshotBlockPublicAccessStateCommand).resolves({ State: 'unblocked' });
    ec2.on(DescribeInstanceAttributeCommand).resolves({ UserData: { Value: Buffer.from('INFLUX_TOKEN=abc').toString('base64') } });
  };
  beforeEach(() => clearUserDataCache());

  it('denied reads are NOT_AVAILABLE for exactly the checks that need them, with the reason', async () => {
    withInstanceData();
    ec2.on(DescribeSnapshotsCommand).rejects(awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.'));
    ec2
      .on(DescribeInstanceAttributeCommand)
      .rejects(awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.'));
    const doc = await run();
    for (const id of ['ebs.snapshot-public', 'ebs.snapshot-unencrypted', 'secrets.user-data']) {
      expect(statusOf(doc, id)).toEqual(['NOT_AVAILABLE']);
      expect(String(doc.findings.find((f) => f.checkId === id)!.evidence.reason)).toMatch(
        /ec2:(DescribeSnapshots|DescribeInstanceAttribute) failed: UnauthorizedOperation/,
      );
    }
    expect(statusOf(doc, 'ec2.imds-v1-allowed')).toEqual(['FAILED']);
    expect(statusOf(doc, 'net.http-port-public')).toEqual(['FAILED']);
  });

  it('a rescan of a running instance reuses its user data verdict; a new launch reads it again', async () => {
    withInstanceData();
    expect(statusOf(await run(), 'secrets.user-data')).toEqual(['FAILED']);
    expect(ec2.commandCalls(DescribeInstanceAttributeCommand)).toHaveLength(1);
    const again = await run();
    expect(statusOf(again, 'secrets.user-data')).toEqual(['FAILED']);
    expect(again.findings.find((f) => f.checkId === 'secrets.user-data')!.evidence.cachedVerdict).toBe(true);
    expect(ec2.commandCalls(DescribeInstanceAttributeCommand)).toHaveLength(1);
    ec2.reset();
    withInstanceData(new Date('2026-11-20T00:00:00Z'));
    ec2.on(DescribeInstanceAttributeCommand).resolves({});
    expect(statusOf(await run(), 'secrets.user-data')).toEqual(['PASSED']);
    expect(ec2.commandCalls(DescribeInstanceAttributeCommand)).toHaveLength(1);
  });

  it('snapshot calls do not grow with instances: owned by volume-id filter, public once, Block Public Access once', async () => {
    withInstanceData();
    await run();
    const inputs = ec2.commandCalls(DescribeSnapshotsCommand).map((c) => c.args[0].input);
    expect(inputs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ OwnerIds: ['self'], Filters: [{ Name: 'volume-id', Values: ['vol-1'] }] }),
        expect.objectContaining({ OwnerIds: ['self'], RestorableByUserIds: ['all'] }),
      ]),
    );
    expect(inputs).toHaveLength(2);
    expect(ec2.commandCalls(GetSnapshotBlockPublicAccessStateCommand)).toHaveLength(1);
  });
});
