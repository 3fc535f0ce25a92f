/**
 * Seeds an emulated AWS estate through the AWS SDK, from a declarative spec:
 * VPC and subnet, prefix lists, security groups with every rule shape,
 * instances with tags, interfaces, public addresses and EBS volumes, and the
 * region's EBS-encryption-by-default flag. Used by tests, the demo and the
 * benchmarks. It refuses a client whose endpoint is not on loopback, so it can
 * never write to a real account.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateManagedPrefixListCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DisableEbsEncryptionByDefaultCommand,
  EnableEbsEncryptionByDefaultCommand,
  RunInstancesCommand,
  StopInstancesCommand,
  type EC2Client,
  type IpPermission,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import {
  CreateDbClusterCommand,
  CreateDbInstanceCommand,
  CreateDbParameterGroupCommand,
  TimestreamInfluxDBClient,
} from '@aws-sdk/client-timestream-influxdb';

export interface RuleSpec {
  /** tcp (default), udp, icmp, or -1 for all traffic. */
  protocol?: string;
  /** One port or an inclusive range; ignored for -1. */
  ports?: number | [number, number];
  cidrs?: string[];
  ipv6?: string[];
  /** Names of groups in this estate, or "self". */
  groups?: string[];
  /** Names of prefix lists in this estate. */
  prefixLists?: string[];
}

export interface GroupSpec {
  name: string;
  rules: RuleSpec[];
}

export interface InstanceSpec {
  name: string;
  tags?: Record<string, string>;
  groups: string[];
  /** Groups of a second network interface, if any. */
  secondInterfaceGroups?: string[];
  publicIp?: boolean;
  rootEncrypted?: boolean;
  volumes?: { device: string; sizeGiB: number; encrypted: boolean }[];
  stopped?: boolean;
  /** Launch this many identical instances (bulk estates). */
  count?: number;
}

/** A Timestream for InfluxDB DB instance or cluster in the estate's subnet. */
export interface TimestreamSpec {
  name: string;
  kind?: 'instance' | 'cluster';
  groups: string[];
  publiclyAccessible?: boolean;
  port?: number;
  /** Name of a parameter group of this estate; absent: the default group. */
  parameterGroup?: string;
  /** S3 log delivery to this bucket. */
  logBucket?: string;
  tags?: Record<string, string>;
}

export interface EstateSpec {
  region: string;
  /** InfluxDB 2 DB parameter groups (unset switches keep InfluxDB's default, false). */
  parameterGroups?: { name: string; pprofDisabled?: boolean; metricsDisabled?: boolean }[];
  timestream?: TimestreamSpec[];
  vpcCidr?: string;
  ebsDefaultEncryption?: boolean;
  prefixLists?: { name: string; cidrs: string[]; family?: 'IPv4' | 'IPv6' }[];
  groups: GroupSpec[];
  instances: InstanceSpec[];
}

export interface SeededEstate {
  region: string;
  vpcId: string;
  subnetId: string;
  groups: Record<string, string>;
  prefixLists: Record<string, string>;
  instances: Record<string, string[]>;
  /** Timestream DB instance or cluster id by name. */
  timestream: Record<string, string>;
  parameterGroups: Record<string, string>;
}

const AMI = 'ami-12c6146b';

function permission(rule: RuleSpec, groupId: string, groups: Record<string, string>, lists: Record<string, string>): IpPermission {
  const protocol = rule.protocol ?? 'tcp';
  const [from, to] = rule.ports === undefined ? [undefined, undefined] : Array.isArray(rule.ports) ? rule.ports : [rule.ports, rule.ports];
  const ref = (name: string) => {
    const id = name === 'self' ? groupId : groups[name];
    if (!id) throw new Error(`estate: unknown group "${name}"`);
    return id;
  };
  return {
    IpProtocol: protocol,
    ...(protocol === '-1' ? {} : { FromPort: from ?? (protocol === 'icmp' ? -1 : 0), ToPort: to ?? (protocol === 'icmp' ? -1 : 65535) }),
    ...(rule.cidrs ? { IpRanges: rule.cidrs.map((CidrIp) => ({ CidrIp })) } : {}),
    ...(rule.ipv6 ? { Ipv6Ranges: rule.ipv6.map((CidrIpv6) => ({ CidrIpv6 })) } : {}),
    ...(rule.groups ? { UserIdGroupPairs: rule.groups.map((g) => ({ GroupId: ref(g) })) } : {}),
    ...(rule.prefixLists
      ? {
          PrefixListIds: rule.prefixLists.map((n) => {
            if (!lists[n]) throw new Error(`estate: unknown prefix list "${n}"`);
            return { PrefixListId: lists[n] };
          }),
        }
      : {}),
  };
}

async function assertEmulator(ec2: EC2Client): Promise<void> {
  const endpoint = ec2.config.endpoint ? await ec2.config.endpoint() : undefined;
  const host = endpoint?.hostname ?? '';
  if (!/^(127\.\d+\.\d+\.\d+|localhost|\[?::1\]?)$/.test(host)) {
    throw new Error(`estate: refusing to seed through endpoint "${host || 'default AWS'}"; seed only the local emulator`);
  }
}

export async function seedEstate(ec2: EC2Client, spec: EstateSpec): Promise<SeededEstate> {
  await assertEmulator(ec2);
  const vpcCidr = spec.vpcCidr ?? '10.0.0.0/16';
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: vpcCidr }));
  const vpcId = vpc.Vpc!.VpcId!;
  // A /18 holds 16k addresses: room for the largest benchmark fleets.
  const subnetCidr = vpcCidr.replace(/\.0\.0\/16$/, '.0.0/18');
  const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: subnetCidr }));
  const subnetId = subnet.Subnet!.SubnetId!;

  await ec2.send(spec.ebsDefaultEncryption ? new EnableEbsEncryptionByDefaultCommand({}) : new DisableEbsEncryptionByDefaultCommand({}));

  const prefixLists: Record<string, string> = {};
  for (const pl of spec.prefixLists ?? []) {
    const out = await ec2.send(
      new CreateManagedPrefixListCommand({
        PrefixListName: pl.name,
        AddressFamily: pl.family ?? 'IPv4',
        MaxEntries: Math.max(5, pl.cidrs.length),
        Entries: pl.cidrs.map((Cidr) => ({ Cidr })),
      }),
    );
    prefixLists[pl.name] = out.PrefixList!.PrefixListId!;
  }

  const groups: Record<string, string> = {};
  for (const g of spec.groups) {
    const out = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: g.name, Description: `influxguard estate ${g.name}`, VpcId: vpcId }),
    );
    groups[g.name] = out.GroupId!;
  }
  for (const g of spec.groups) {
    if (!g.rules.length) continue;
    const id = groups[g.name]!;
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: g.rules.map((r) => permission(r, id, groups, prefixLists)) }),
    );
  }

  const instances: Record<string, string[]> = {};
  for (const inst of spec.instances) {
    const groupIds = (names: string[]) =>
      names.map((n) => {
        if (!groups[n]) throw new Error(`estate: unknown group "${n}" for instance ${inst.name}`);
        return groups[n]!;
      });
    const tags = { Name: inst.name, ...(inst.tags ?? {}) };
    const input: RunInstancesCommandInput = {
      ImageId: AMI,
      InstanceType: 't3.medium',
      MinCount: inst.count ?? 1,
      MaxCount: inst.count ?? 1,
      NetworkInterfaces: [
        { DeviceIndex: 0, SubnetId: subnetId, Groups: groupIds(inst.groups), AssociatePublicIpAddress: inst.publicIp === true },
        ...(inst.secondInterfaceGroups ? [{ DeviceIndex: 1, SubnetId: subnetId, Groups: groupIds(inst.secondInterfaceGroups) }] : []),
      ],
      BlockDeviceMappings: [
        { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 8, Encrypted: inst.rootEncrypted ?? true } },
        ...(inst.volumes ?? []).map((v) => ({ DeviceName: v.device, Ebs: { VolumeSize: v.sizeGiB, Encrypted: v.encrypted } })),
      ],
      TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
    };
    const out = await ec2.send(new RunInstancesCommand(input));
    const ids = (out.Instances ?? []).map((i) => i.InstanceId!);
    if (inst.stopped) await ec2.send(new StopInstancesCommand({ InstanceIds: ids }));
    instances[inst.name] = ids;
  }
  const { timestream, parameterGroups } =
    spec.timestream?.length || spec.parameterGroups?.length
      ? await seedTimestream(ec2, spec, subnetId, groups)
      : { timestream: {}, parameterGroups: {} };
  return { region: spec.region, vpcId, subnetId, groups, prefixLists, instances, timestream, parameterGroups };
}

/** The same emulator and credentials as the EC2 seeder, for Timestream for InfluxDB. */
async function timestreamClient(ec2: EC2Client, region: string): Promise<TimestreamInfluxDBClient> {
  const e = await ec2.config.endpoint!();
  return new TimestreamInfluxDBClient({
    region,
    endpoint: `${e.protocol}//${e.hostname}${e.port ? `:${e.port}` : ''}${e.path}`,
    credentials: ec2.config.credentials,
  });
}

async function seedTimestream(
  ec2: EC2Client,
  spec: EstateSpec,
  subnetId: string,
  groups: Record<string, string>,
): Promise<Pick<SeededEstate, 'timestream' | 'parameterGroups'>> {
  const ts = await timestreamClient(ec2, spec.region);
  try {
    const parameterGroups: Record<string, string> = {};
    for (const pg of spec.parameterGroups ?? []) {
      const v2 = {
        ...(pg.pprofDisabled !== undefined ? { pprofDisabled: pg.pprofDisabled } : {}),
        ...(pg.metricsDisabled !== undefined ? { metricsDisabled: pg.metricsDisabled } : {}),
      };
      const out = await ts.send(new CreateDbParameterGroupCommand({ name: pg.name, parameters: { InfluxDBv2: v2 } }));
      parameterGroups[pg.name] = out.id!;
    }
    const timestream: Record<string, string> = {};
    for (const db of spec.timestream ?? []) {
      const sgs = db.groups.map((n) => {
        if (!groups[n]) throw new Error(`estate: unknown group "${n}" for Timestream ${db.name}`);
        return groups[n]!;
      });
      const pg = db.parameterGroup ? parameterGroups[db.parameterGroup] : undefined;
      if (db.parameterGroup && !pg) throw new Error(`estate: unknown parameter group "${db.parameterGroup}"`);
      const common = {
        name: db.name,
        password: 'estate-password-not-secret',
        vpcSubnetIds: [subnetId],
        vpcSecurityGroupIds: sgs,
        publiclyAccessible: db.publiclyAccessible === true,
        dbInstanceType: 'db.influx.medium' as const,
        ...(db.port ? { port: db.port } : {}),
        ...(pg ? { dbParameterGroupIdentifier: pg } : {}),
        ...(db.logBucket ? { logDeliveryConfiguration: { s3Configuration: { bucketName: db.logBucket, enabled: true } } } : {}),
        ...(db.tags ? { tags: db.tags } : {}),
      };
      if (db.kind === 'cluster') {
        const out = await ts.send(
          new CreateDbClusterCommand({
            ...common,
            dbInstanceType: 'db.influx.medium',
            dbStorageType: 'InfluxIOIncludedT1',
            allocatedStorage: 100,
          }),
        );
        timestream[db.name] = out.dbClusterId!;
      } else {
        const out = await ts.send(new CreateDbInstanceCommand({ ...common, allocatedStorage: 20, dbStorageType: 'InfluxIOIncludedT1' }));
        timestream[db.name] = out.id!;
      }
    }
    return { timestream, parameterGroups };
  } finally {
    ts.destroy();
  }
}
