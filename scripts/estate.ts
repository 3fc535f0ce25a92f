/**
 * Seeds an emulated AWS estate through the AWS SDK, from a declarative spec:
 * VPC and subnets (with their route tables, internet gateway and network
 * ACLs), prefix lists, security groups with every rule shape, instances with
 * tags, interfaces, public addresses, EBS volumes and their snapshots, metadata
 * options and user data, load balancers (ALB,
 * NLB, Classic; internet-facing or internal) and the region's
 * EBS-encryption-by-default flag. Used by tests, the demo and the
 * benchmarks. It refuses a client whose endpoint is not on loopback, so it can
 * never write to a real account.
 */
import { CreateClusterCommand, CreateServiceCommand, ECSClient, RegisterTaskDefinitionCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import { CreateFileSystemCommand, EFSClient } from '@aws-sdk/client-efs';
import {
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateManagedPrefixListCommand,
  CreateNetworkAclCommand,
  CreateNetworkAclEntryCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  DescribeManagedPrefixListsCommand,
  DescribeNetworkAclsCommand,
  ReplaceNetworkAclAssociationCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateSnapshotCommand,
  CreateVpcCommand,
  DescribeInstancesCommand,
  DisableEbsEncryptionByDefaultCommand,
  EnableEbsEncryptionByDefaultCommand,
  EnableSnapshotBlockPublicAccessCommand,
  ModifySnapshotAttributeCommand,
  RunInstancesCommand,
  StopInstancesCommand,
  type EC2Client,
  type IpPermission,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import {
  CreateLoadBalancerCommand as CreateClassicCommand,
  ElasticLoadBalancingClient,
  RegisterInstancesWithLoadBalancerCommand,
} from '@aws-sdk/client-elastic-load-balancing';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
  ModifyTargetGroupAttributesCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { gzipSync } from 'node:zlib';
import { TagResourceCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { BINDING_TAG } from '../lib/evidence/audit/secrets.js';
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
  /** Name of a subnet of this estate; absent: the estate's first subnet. */
  subnet?: string;
  /** Metadata service: `v1` (HttpTokens optional), `v2` (required: the default here, as current AMIs such as AL2023 launch) or `disabled`. */
  imds?: 'v1' | 'v2' | 'disabled';
  /** User data as the instance's owner wrote it (base64-encoded here, as RunInstances wants); `gzip`: compressed first. */
  userData?: string | { text: string; gzip: true };
  /** Snapshots of its volumes, by device (`public`: restorable by every AWS account). */
  snapshots?: { device: string; public?: boolean }[];
}

/** One network ACL entry: allow or deny TCP (or all traffic) ports from/to a CIDR. */
export interface AclRuleSpec {
  rule: number;
  egress?: boolean;
  action: 'allow' | 'deny';
  /** tcp (default) or -1. */
  protocol?: string;
  ports?: number | [number, number];
  cidr?: string;
  ipv6?: string;
}

export interface SubnetSpec {
  name: string;
  /**
   * What its route table sends the internet to: the estate's internet gateway as `0.0.0.0/0` (default), the same
   * gateway as two halves `0.0.0.0/1` + `128.0.0.0/1` (`split`: a complete route, per source by longest prefix), the
   * two halves as one route to a customer-managed prefix list (`prefix-list`), one route to the AWS-managed S3 list
   * `com.amazonaws.<region>.s3` (`aws-prefix-list`: AWS's addresses only), or nothing.
   */
  route?: 'igw' | 'split' | 'prefix-list' | 'aws-prefix-list' | 'none';
  /** Its own network ACL with these entries; absent: the VPC's default ACL (allows everything). */
  acl?: AclRuleSpec[];
}

/** A load balancer in front of instances of the estate. */
export interface LoadBalancerSpec {
  name: string;
  kind: 'application' | 'network' | 'classic';
  /** Default internet-facing. */
  scheme?: 'internet-facing' | 'internal';
  /** Its security groups (names of groups of this estate); an NLB may have none. */
  groups?: string[];
  /** Names of subnets of this estate it sits in; absent: the first (Classic) or the first two (ALB/NLB). */
  subnets?: string[];
  listeners: {
    port: number;
    targetPort: number;
    /** Instance names (every instance of a counted name); `ip` targets register their private addresses. */
    targets: string[];
    targetType?: 'instance' | 'ip';
    /** NLB: the target group's `preserve_client_ip.enabled` attribute, set explicitly (absent: AWS's default for the target type). */
    preserveClientIp?: boolean;
    /** ALB: instances behind a second target group, forwarded to by a listener rule (path `/api/*`) instead of the default action. */
    ruleTargets?: string[];
    /** ALB: the rule forwarding to `ruleTargets` also has a `source-ip` condition with these CIDRs. */
    ruleSourceIps?: string[];
    /** ALB: the rule forwarding to `ruleTargets` matches every path (`/*`, priority 1) instead of `/api/*` (priority 10). */
    ruleMatchesAll?: true;
    /** ALB: instances behind a second target group that the default action's forward weighs 0 (the first weighs 1). */
    zeroWeightTargets?: string[];
    /**
     * ALB: a rule at priority 1 answering 403 (fixed-response) to every path (`path: *`), or to the common methods
     * (`methods`: an http-request-method condition, which never provably matches every request).
     */
    fixedResponseRule?: 'path' | 'methods';
    /**
     * ALB: a second listener on this port, its default action a 404 (fixed-response), its rule (path `/api/*`,
     * priority 10) forwarding to this listener's default target group.
     */
    alsoByRuleOn?: number;
    /**
     * The listener's protocol: ALB `HTTPS` (the target group stays HTTP); Classic `HTTP` (to an HTTP backend). Absent:
     * ALB HTTP, NLB and Classic TCP.
     */
    protocol?: 'HTTP' | 'HTTPS';
  }[];
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

/** A containerised InfluxDB (or not) on Amazon ECS: a service (or a standalone task) on Fargate, awsvpc. */
export interface EcsSpec {
  name: string;
  /** A standalone task (RunTask) instead of a service. */
  standalone?: boolean;
  image: string;
  /** Its entryPoint and command (absent: the image's). */
  entryPoint?: string[];
  command?: string[];
  /** The container port it maps: 8086 by default. */
  port?: number;
  environment?: Record<string, string>;
  /** Variable names taken from Secrets Manager. */
  secrets?: string[];
  groups: string[];
  assignPublicIp?: boolean;
  /** The data directory on this EFS file system (by name in `efs`). */
  efs?: { fileSystem: string; path: string; transitEncryption?: boolean };
  /** Running tasks of the service (RunTask in the service's group): none by default. */
  running?: number;
  /** Its subnet (by name in `subnets`); absent: the first. */
  subnet?: string;
  tags?: Record<string, string>;
}

export interface EstateSpec {
  region: string;
  /** EFS file systems for ECS volumes. */
  efs?: { name: string; encrypted: boolean }[];
  ecs?: EcsSpec[];
  /** DB parameter groups: InfluxDB 2 by default (unset switches keep InfluxDB's default, false); `engine` an InfluxDB 3 one. */
  parameterGroups?: {
    name: string;
    pprofDisabled?: boolean;
    metricsDisabled?: boolean;
    engine?: 'InfluxDBv3Core' | 'InfluxDBv3Enterprise';
  }[];
  timestream?: TimestreamSpec[];
  vpcCidr?: string;
  ebsDefaultEncryption?: boolean;
  /** The region's snapshot Block Public Access (absent: `unblocked`). */
  snapshotBlockPublicAccess?: 'block-all-sharing' | 'block-new-sharing';
  prefixLists?: { name: string; cidrs: string[]; family?: 'IPv4' | 'IPv6' }[];
  /** Subnets in the VPC; absent: one subnet whose route table sends 0.0.0.0/0 to an internet gateway. */
  subnets?: SubnetSpec[];
  groups: GroupSpec[];
  instances: InstanceSpec[];
  loadBalancers?: LoadBalancerSpec[];
}

export interface SeededEstate {
  region: string;
  vpcId: string;
  /** The first subnet. */
  subnetId: string;
  subnets: Record<string, string>;
  internetGatewayId: string;
  /** Load balancer ARN (ALB/NLB) or name (Classic), by name. */
  loadBalancers: Record<string, string>;
  groups: Record<string, string>;
  prefixLists: Record<string, string>;
  instances: Record<string, string[]>;
  /** Timestream DB instance or cluster id by name. */
  timestream: Record<string, string>;
  /** Snapshot ids by instance name, in the order of its `snapshots`. */
  snapshots: Record<string, string[]>;
  parameterGroups: Record<string, string>;
  /** ECS service ARN (a standalone task's ARN) by name, and the running tasks' ARNs. */
  ecs: Record<string, string>;
  ecsTasks: Record<string, string[]>;
  /** Each running task's interface and private address (moto makes them up). */
  ecsInterfaces: { task: string; eni: string; ip: string }[];
  efs: Record<string, string>;
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

async function assertEmulator(client: EC2Client | SecretsManagerClient): Promise<void> {
  const endpoint = client.config.endpoint ? await client.config.endpoint() : undefined;
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
  const { subnets, internetGatewayId } = await seedSubnets(ec2, spec, vpcId, vpcCidr);
  const subnetId = Object.values(subnets)[0]!;

  await ec2.send(spec.ebsDefaultEncryption ? new EnableEbsEncryptionByDefaultCommand({}) : new DisableEbsEncryptionByDefaultCommand({}));
  if (spec.snapshotBlockPublicAccess) await ec2.send(new EnableSnapshotBlockPublicAccessCommand({ State: spec.snapshotBlockPublicAccess }));

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

  const subnetOf = (inst: InstanceSpec) => {
    const id = inst.subnet ? subnets[inst.subnet] : subnetId;
    if (!id) throw new Error(`estate: unknown subnet "${inst.subnet}" for instance ${inst.name}`);
    return id;
  };
  const instances: Record<string, string[]> = {};
  const snapshots: Record<string, string[]> = {};
  const privateIps: Record<string, string[]> = {};
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
        { DeviceIndex: 0, SubnetId: subnetOf(inst), Groups: groupIds(inst.groups), AssociatePublicIpAddress: inst.publicIp === true },
        ...(inst.secondInterfaceGroups ? [{ DeviceIndex: 1, SubnetId: subnetOf(inst), Groups: groupIds(inst.secondInterfaceGroups) }] : []),
      ],
      BlockDeviceMappings: [
        { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 8, Encrypted: inst.rootEncrypted ?? true } },
        ...(inst.volumes ?? []).map((v) => ({ DeviceName: v.device, Ebs: { VolumeSize: v.sizeGiB, Encrypted: v.encrypted } })),
      ],
      TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
      MetadataOptions: IMDS[inst.imds ?? 'v2'],
      ...(inst.userData !== undefined ? { UserData: userDataBase64(inst.userData) } : {}),
    };
    const out = await ec2.send(new RunInstancesCommand(input));
    const ids = (out.Instances ?? []).map((i) => i.InstanceId!);
    privateIps[inst.name] = (out.Instances ?? []).map((i) => i.PrivateIpAddress!);
    if (inst.stopped) await ec2.send(new StopInstancesCommand({ InstanceIds: ids }));
    instances[inst.name] = ids;
    if (inst.snapshots?.length) snapshots[inst.name] = await seedSnapshots(ec2, ids[0]!, inst.snapshots);
  }
  const { timestream, parameterGroups } =
    spec.timestream?.length || spec.parameterGroups?.length
      ? await seedTimestream(ec2, spec, subnetId, groups)
      : { timestream: {}, parameterGroups: {} };
  const loadBalancers = spec.loadBalancers?.length
    ? await seedLoadBalancers(ec2, spec, { vpcId, subnets, groups, instances, privateIps })
    : {};
  const ecs = spec.ecs?.length ? await seedEcs(ec2, spec, subnets, groups) : { ecs: {}, ecsTasks: {}, ecsInterfaces: [], efs: {} };
  return {
    region: spec.region,
    vpcId,
    subnetId,
    subnets,
    internetGatewayId,
    groups,
    prefixLists,
    instances,
    loadBalancers,
    timestream,
    parameterGroups,
    snapshots,
    ...ecs,
  };
}

const IMDS = {
  v1: { HttpEndpoint: 'enabled', HttpTokens: 'optional' },
  v2: { HttpEndpoint: 'enabled', HttpTokens: 'required' },
  disabled: { HttpEndpoint: 'disabled', HttpTokens: 'optional' },
} as const;

const userDataBase64 = (u: NonNullable<InstanceSpec['userData']>): string =>
  (typeof u === 'string' ? Buffer.from(u) : gzipSync(u.text)).toString('base64');

/** Snapshots of an instance's volumes by device, made public where asked. */
async function seedSnapshots(ec2: EC2Client, instanceId: string, specs: NonNullable<InstanceSpec['snapshots']>): Promise<string[]> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const devices = out.Reservations?.[0]?.Instances?.[0]?.BlockDeviceMappings ?? [];
  const ids: string[] = [];
  for (const s of specs) {
    const volumeId = devices.find((d) => d.DeviceName === s.device)?.Ebs?.VolumeId;
    if (!volumeId) throw new Error(`estate: no volume at ${s.device} of ${instanceId}`);
    const snap = await ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId, Description: `influxguard estate ${s.device}` }));
    if (s.public)
      await ec2.send(
        new ModifySnapshotAttributeCommand({
          SnapshotId: snap.SnapshotId!,
          Attribute: 'createVolumePermission',
          OperationType: 'add',
          GroupNames: ['all'],
        }),
      );
    ids.push(snap.SnapshotId!);
  }
  return ids;
}

/** One ECS cluster with the services and standalone tasks of the spec (Fargate, awsvpc), and their EFS file systems. */
async function seedEcs(
  ec2: EC2Client,
  spec: EstateSpec,
  subnets: Record<string, string>,
  groups: Record<string, string>,
): Promise<Pick<SeededEstate, 'ecs' | 'ecsTasks' | 'ecsInterfaces' | 'efs'>> {
  const client = await sibling(ec2, spec.region, (c) => new ECSClient(c));
  const efsClient = await sibling(ec2, spec.region, (c) => new EFSClient(c));
  try {
    const efs: Record<string, string> = {};
    for (const f of spec.efs ?? [])
      efs[f.name] = (await efsClient.send(new CreateFileSystemCommand({ CreationToken: f.name, Encrypted: f.encrypted }))).FileSystemId!;
    const cluster = (await client.send(new CreateClusterCommand({ clusterName: 'influxguard-estate' }))).cluster!.clusterArn!;
    const ecs: Record<string, string> = {};
    const ecsTasks: Record<string, string[]> = {};
    const ecsInterfaces: SeededEstate['ecsInterfaces'] = [];
    for (const e of spec.ecs ?? []) {
      const subnetId = e.subnet ? subnets[e.subnet] : Object.values(subnets)[0];
      if (!subnetId) throw new Error(`estate: unknown subnet "${e.subnet}" for ECS ${e.name}`);
      const fs = e.efs ? efs[e.efs.fileSystem] : undefined;
      if (e.efs && !fs) throw new Error(`estate: unknown EFS file system "${e.efs.fileSystem}"`);
      await client.send(
        new RegisterTaskDefinitionCommand({
          family: e.name,
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          cpu: '256',
          memory: '512',
          containerDefinitions: [
            {
              name: 'influxdb',
              image: e.image,
              essential: true,
              portMappings: [{ containerPort: e.port ?? 8086, protocol: 'tcp' }],
              ...(e.entryPoint ? { entryPoint: e.entryPoint } : {}),
              ...(e.command ? { command: e.command } : {}),
              environment: Object.entries(e.environment ?? {}).map(([name, value]) => ({ name, value })),
              secrets: (e.secrets ?? []).map((name) => ({
                name,
                valueFrom: `arn:aws:secretsmanager:${spec.region}:123456789012:secret:${e.name}-${name.toLowerCase()}`,
              })),
              ...(e.efs ? { mountPoints: [{ sourceVolume: 'data', containerPath: e.efs.path }] } : {}),
            },
          ],
          ...(fs
            ? {
                volumes: [
                  {
                    name: 'data',
                    efsVolumeConfiguration: { fileSystemId: fs, transitEncryption: e.efs?.transitEncryption ? 'ENABLED' : 'DISABLED' },
                  },
                ],
              }
            : {}),
        }),
      );
      const sgs = e.groups.map((n) => {
        if (!groups[n]) throw new Error(`estate: unknown group "${n}" for ECS ${e.name}`);
        return groups[n]!;
      });
      const networkConfiguration = {
        awsvpcConfiguration: {
          subnets: [subnetId],
          securityGroups: sgs,
          assignPublicIp: e.assignPublicIp ? ('ENABLED' as const) : ('DISABLED' as const),
        },
      };
      const tags = Object.entries(e.tags ?? {}).map(([key, value]) => ({ key, value }));
      const run = async (group: string | undefined, count: number) =>
        count
          ? (
              (
                await client.send(
                  new RunTaskCommand({
                    cluster,
                    taskDefinition: e.name,
                    launchType: 'FARGATE',
                    count,
                    networkConfiguration,
                    ...(group ? { group } : {}),
                    ...(tags.length ? { tags } : {}),
                  }),
                )
              ).tasks ?? []
            ).map((t) => {
              const d = t.attachments?.[0]?.details ?? [];
              const eni = d.find((x) => x.name === 'networkInterfaceId')?.value;
              const ip = d.find((x) => x.name === 'privateIPv4Address')?.value;
              if (eni && ip) ecsInterfaces.push({ task: t.taskArn!, eni, ip });
              return t.taskArn!;
            })
          : [];
      if (e.standalone) {
        ecsTasks[e.name] = await run(undefined, 1);
        ecs[e.name] = ecsTasks[e.name]![0]!;
        continue;
      }
      const service = await client.send(
        new CreateServiceCommand({
          cluster,
          serviceName: e.name,
          taskDefinition: e.name,
          desiredCount: 1,
          launchType: 'FARGATE',
          networkConfiguration,
          ...(tags.length ? { tags } : {}),
        }),
      );
      ecs[e.name] = service.service!.serviceArn!;
      // moto starts no task for a service: the service's tasks are run in its group, as ECS would.
      ecsTasks[e.name] = await run(`service:${e.name}`, e.running ?? 0);
    }
    return { ecs, ecsTasks, ecsInterfaces, efs };
  } finally {
    client.destroy();
    efsClient.destroy();
  }
}

/**
 * The VPC's subnets (the first a /18: room for the largest benchmark fleets;
 * the others a /20 each), one internet gateway, a route table per subnet
 * (0.0.0.0/0 to the gateway unless `route: 'none'`) and, where asked, its own network ACL.
 */
async function seedSubnets(
  ec2: EC2Client,
  spec: EstateSpec,
  vpcId: string,
  vpcCidr: string,
): Promise<{ subnets: Record<string, string>; internetGatewayId: string }> {
  const specs = spec.subnets ?? [{ name: 'public' }];
  const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
  await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
  const prefix = vpcCidr.replace(/\.0\.0\/16$/, '');
  const subnets: Record<string, string> = {};
  for (const [i, sn] of specs.entries()) {
    const cidr = i === 0 ? `${prefix}.0.0/18` : `${prefix}.${48 + i * 16}.0/20`;
    const id = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr }))).Subnet!.SubnetId!;
    subnets[sn.name] = id;
    const table = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!.RouteTableId!;
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: table, SubnetId: id }));
    const route = sn.route ?? 'igw';
    for (const destination of route === 'igw' ? ['0.0.0.0/0'] : route === 'split' ? ['0.0.0.0/1', '128.0.0.0/1'] : [])
      await ec2.send(new CreateRouteCommand({ RouteTableId: table, DestinationCidrBlock: destination, GatewayId: igw }));
    if (route === 'prefix-list' || route === 'aws-prefix-list') {
      const list =
        route === 'prefix-list'
          ? (
              await ec2.send(
                new CreateManagedPrefixListCommand({
                  PrefixListName: `${sn.name}-halves`,
                  AddressFamily: 'IPv4',
                  MaxEntries: 5,
                  Entries: [{ Cidr: '0.0.0.0/1' }, { Cidr: '128.0.0.0/1' }],
                }),
              )
            ).PrefixList!.PrefixListId!
          : (
              await ec2.send(
                new DescribeManagedPrefixListsCommand({
                  Filters: [{ Name: 'prefix-list-name', Values: [`com.amazonaws.${spec.region}.s3`] }],
                }),
              )
            ).PrefixLists![0]!.PrefixListId!;
      await ec2.send(new CreateRouteCommand({ RouteTableId: table, DestinationPrefixListId: list, GatewayId: igw }));
    }
    if (!sn.acl) continue;
    const acl = (await ec2.send(new CreateNetworkAclCommand({ VpcId: vpcId }))).NetworkAcl!.NetworkAclId!;
    for (const r of sn.acl) {
      const [from, to] = r.ports === undefined ? [0, 65535] : Array.isArray(r.ports) ? r.ports : [r.ports, r.ports];
      await ec2.send(
        new CreateNetworkAclEntryCommand({
          NetworkAclId: acl,
          RuleNumber: r.rule,
          Egress: r.egress === true,
          RuleAction: r.action,
          Protocol: r.protocol === '-1' ? '-1' : '6',
          ...(r.protocol === '-1' ? {} : { PortRange: { From: from, To: to } }),
          ...(r.ipv6 ? { Ipv6CidrBlock: r.ipv6 } : { CidrBlock: r.cidr ?? '0.0.0.0/0' }),
        }),
      );
    }
    // The new subnet was associated with the VPC's default ACL: move it to its own.
    const current = (
      await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [id] }] }))
    ).NetworkAcls?.[0]?.Associations?.find((a) => a.SubnetId === id);
    if (current?.NetworkAclAssociationId)
      await ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: current.NetworkAclAssociationId, NetworkAclId: acl }));
  }
  return { subnets, internetGatewayId: igw };
}

/** A client of another service on the same emulator with the same credentials as the EC2 seeder. */
async function sibling<C>(
  ec2: EC2Client,
  region: string,
  make: (cfg: { region: string; endpoint: string; credentials: EC2Client['config']['credentials'] }) => C,
): Promise<C> {
  const e = await ec2.config.endpoint!();
  return make({
    region,
    endpoint: `${e.protocol}//${e.hostname}${e.port ? `:${e.port}` : ''}${e.path}`,
    credentials: ec2.config.credentials,
  });
}

async function seedLoadBalancers(
  ec2: EC2Client,
  spec: EstateSpec,
  at: {
    vpcId: string;
    subnets: Record<string, string>;
    groups: Record<string, string>;
    instances: Record<string, string[]>;
    privateIps: Record<string, string[]>;
  },
): Promise<Record<string, string>> {
  const v2 = await sibling(ec2, spec.region, (c) => new ElasticLoadBalancingV2Client(c));
  const classic = await sibling(ec2, spec.region, (c) => new ElasticLoadBalancingClient(c));
  const groupIds = (names: string[] | undefined) =>
    (names ?? []).map((n) => {
      if (!at.groups[n]) throw new Error(`estate: unknown group "${n}" for a load balancer`);
      return at.groups[n]!;
    });
  const targets = (names: string[], key: 'instances' | 'privateIps') =>
    names.flatMap((n) => {
      if (!at[key][n]) throw new Error(`estate: unknown instance "${n}" behind a load balancer`);
      return at[key][n]!;
    });
  const out: Record<string, string> = {};
  const subnetIds = (lb: LoadBalancerSpec, n: number) =>
    lb.subnets
      ? lb.subnets.map((name) => {
          if (!at.subnets[name]) throw new Error(`estate: unknown subnet "${name}" for a load balancer`);
          return at.subnets[name]!;
        })
      : Object.values(at.subnets).slice(0, n);
  try {
    for (const lb of spec.loadBalancers ?? []) {
      const scheme = lb.scheme ?? 'internet-facing';
      if (lb.kind === 'classic') {
        await classic.send(
          new CreateClassicCommand({
            LoadBalancerName: lb.name,
            Scheme: scheme,
            Subnets: subnetIds(lb, 1),
            SecurityGroups: groupIds(lb.groups),
            Listeners: lb.listeners.map((l) => ({
              Protocol: l.protocol ?? 'TCP',
              LoadBalancerPort: l.port,
              InstanceProtocol: l.protocol ?? 'TCP',
              InstancePort: l.targetPort,
            })),
          }),
        );
        const ids = lb.listeners.flatMap((l) => targets(l.targets, 'instances'));
        if (ids.length)
          await classic.send(
            new RegisterInstancesWithLoadBalancerCommand({
              LoadBalancerName: lb.name,
              Instances: ids.map((InstanceId) => ({ InstanceId })),
            }),
          );
        out[lb.name] = lb.name;
        continue;
      }
      const created = await v2.send(
        new CreateLoadBalancerCommand({
          Name: lb.name,
          Type: lb.kind,
          Scheme: scheme,
          Subnets: subnetIds(lb, 2),
          ...(lb.groups ? { SecurityGroups: groupIds(lb.groups) } : {}),
        }),
      );
      const arn = created.LoadBalancers![0]!.LoadBalancerArn!;
      out[lb.name] = arn;
      for (const [i, l] of lb.listeners.entries()) {
        const type = l.targetType ?? 'instance';
        const protocol = lb.kind === 'application' ? 'HTTP' : 'TCP';
        const tg = await v2.send(
          new CreateTargetGroupCommand({
            Name: `${lb.name}-${i}`,
            Protocol: protocol,
            Port: l.targetPort,
            VpcId: at.vpcId,
            TargetType: type,
          }),
        );
        const tgArn = tg.TargetGroups![0]!.TargetGroupArn!;
        if (l.preserveClientIp !== undefined)
          await v2.send(
            new ModifyTargetGroupAttributesCommand({
              TargetGroupArn: tgArn,
              Attributes: [{ Key: 'preserve_client_ip.enabled', Value: String(l.preserveClientIp) }],
            }),
          );
        const ids = targets(l.targets, type === 'ip' ? 'privateIps' : 'instances');
        if (ids.length)
          await v2.send(new RegisterTargetsCommand({ TargetGroupArn: tgArn, Targets: ids.map((Id) => ({ Id, Port: l.targetPort })) }));
        // A second group beside the first in the default action's forward, weighing 0: it gets no request.
        const zero = l.zeroWeightTargets
          ? (
              await v2.send(
                new CreateTargetGroupCommand({
                  Name: `${lb.name}-${i}-zero`,
                  Protocol: protocol,
                  Port: l.targetPort,
                  VpcId: at.vpcId,
                  TargetType: type,
                }),
              )
            ).TargetGroups![0]!.TargetGroupArn!
          : undefined;
        if (zero)
          await v2.send(
            new RegisterTargetsCommand({
              TargetGroupArn: zero,
              Targets: targets(l.zeroWeightTargets!, type === 'ip' ? 'privateIps' : 'instances').map((Id) => ({ Id, Port: l.targetPort })),
            }),
          );
        const listener = await v2.send(
          new CreateListenerCommand({
            LoadBalancerArn: arn,
            Protocol: l.protocol ?? protocol,
            Port: l.port,
            // An IAM server certificate's ARN: moto checks only ACM ones exist, so none need be created.
            ...(l.protocol === 'HTTPS'
              ? { Certificates: [{ CertificateArn: 'arn:aws:iam::000000000000:server-certificate/estate' }] }
              : {}),
            DefaultActions: [
              zero
                ? {
                    Type: 'forward',
                    ForwardConfig: {
                      TargetGroups: [
                        { TargetGroupArn: tgArn, Weight: 1 },
                        { TargetGroupArn: zero, Weight: 0 },
                      ],
                    },
                  }
                : { Type: 'forward', TargetGroupArn: tgArn },
            ],
          }),
        );
        if (l.alsoByRuleOn) {
          const second = await v2.send(
            new CreateListenerCommand({
              LoadBalancerArn: arn,
              Protocol: protocol,
              Port: l.alsoByRuleOn,
              DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }],
            }),
          );
          await v2.send(
            new CreateRuleCommand({
              ListenerArn: second.Listeners![0]!.ListenerArn!,
              Priority: 10,
              Conditions: [{ Field: 'path-pattern', Values: ['/api/*'] }],
              Actions: [{ Type: 'forward', TargetGroupArn: tgArn }],
            }),
          );
        }
        if (l.fixedResponseRule)
          await v2.send(
            new CreateRuleCommand({
              ListenerArn: listener.Listeners![0]!.ListenerArn!,
              Priority: 1,
              Conditions: [
                l.fixedResponseRule === 'path'
                  ? { Field: 'path-pattern', PathPatternConfig: { Values: ['*'] } }
                  : {
                      Field: 'http-request-method',
                      HttpRequestMethodConfig: { Values: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] },
                    },
              ],
              Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '403' } }],
            }),
          );
        if (l.ruleTargets?.length) {
          const ruled = await v2.send(
            new CreateTargetGroupCommand({
              Name: `${lb.name}-${i}-rule`,
              Protocol: protocol,
              Port: l.targetPort,
              VpcId: at.vpcId,
              TargetType: type,
            }),
          );
          const ruledArn = ruled.TargetGroups![0]!.TargetGroupArn!;
          await v2.send(
            new RegisterTargetsCommand({
              TargetGroupArn: ruledArn,
              Targets: targets(l.ruleTargets, type === 'ip' ? 'privateIps' : 'instances').map((Id) => ({ Id, Port: l.targetPort })),
            }),
          );
          await v2.send(
            new CreateRuleCommand({
              ListenerArn: listener.Listeners![0]!.ListenerArn!,
              Priority: l.ruleMatchesAll ? 1 : 10,
              Conditions: [
                { Field: 'path-pattern', Values: [l.ruleMatchesAll ? '/*' : '/api/*'] },
                ...(l.ruleSourceIps ? [{ Field: 'source-ip', SourceIpConfig: { Values: l.ruleSourceIps } }] : []),
              ],
              Actions: [{ Type: 'forward', TargetGroupArn: ruledArn }],
            }),
          );
        }
      }
    }
  } finally {
    v2.destroy();
    classic.destroy();
  }
  return out;
}

async function seedTimestream(
  ec2: EC2Client,
  spec: EstateSpec,
  subnetId: string,
  groups: Record<string, string>,
): Promise<Pick<SeededEstate, 'timestream' | 'parameterGroups'>> {
  const ts = await sibling(ec2, spec.region, (c) => new TimestreamInfluxDBClient(c));
  try {
    const parameterGroups: Record<string, string> = {};
    for (const pg of spec.parameterGroups ?? []) {
      const v2 = {
        ...(pg.pprofDisabled !== undefined ? { pprofDisabled: pg.pprofDisabled } : {}),
        ...(pg.metricsDisabled !== undefined ? { metricsDisabled: pg.metricsDisabled } : {}),
      };
      const parameters =
        pg.engine === 'InfluxDBv3Core'
          ? { InfluxDBv3Core: {} }
          : pg.engine === 'InfluxDBv3Enterprise'
            ? { InfluxDBv3Enterprise: { ingestQueryInstances: 2, queryOnlyInstances: 0, dedicatedCompactor: false } }
            : { InfluxDBv2: v2 };
      const out = await ts.send(new CreateDbParameterGroupCommand({ name: pg.name, parameters }));
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

/**
 * Binds each audit secret of `arns` to the seeded instances whose
 * `influxdb:audit-secret` tag names it (the secret's tag
 * `influxguard:instances`), as the secret's owner would.
 */
export async function bindAuditSecrets(sm: SecretsManagerClient, spec: EstateSpec, seeded: SeededEstate, arns: readonly string[]) {
  await assertEmulator(sm);
  for (const arn of new Set(arns)) {
    const ids = spec.instances.filter((i) => i.tags?.['influxdb:audit-secret'] === arn).flatMap((i) => seeded.instances[i.name] ?? []);
    const value = ids.join(' ');
    if (value.length > 256) throw new Error(`estate: ${ids.length} instances do not fit one ${BINDING_TAG} tag value (256 characters)`);
    await sm.send(new TagResourceCommand({ SecretId: arn, Tags: [{ Key: BINDING_TAG, Value: value }] }));
  }
}
