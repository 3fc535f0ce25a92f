/**
 * Discovery: plain typed records about one account × region. No check logic.
 * Calls grow with pages, never with instances: instances come from one
 * paginated DescribeInstances per tag selector, groups from a filtered
 * describe over their ids (chunks of 200 filter values), volumes by id
 * (chunks of 1,000), prefix lists once each.
 */
import {
  DescribeVolumesCommand,
  GetEbsEncryptionByDefaultCommand,
  paginateDescribeInstances,
  paginateDescribeSecurityGroups,
  paginateDescribeVolumes,
  paginateGetManagedPrefixListEntries,
  type EC2Client,
  type Filter,
  type Instance as Ec2Instance,
  type IpPermission,
  type SecurityGroup as Ec2SecurityGroup,
  type Volume as Ec2Volume,
} from '@aws-sdk/client-ec2';
import type { Config, TagSelector } from '../config.js';
import { errorCode, toAwsCallError } from '../errors.js';
import {
  INFLUX_ROLES,
  fail,
  ok,
  type EvidenceKey,
  type InboundRule,
  type InfluxRole,
  type Instance,
  type RegionInventory,
  type Result,
  type RuleSource,
  type SecurityGroup,
  type Volume,
} from '../model.js';
import { chunk, mapLimit, unique } from '../util/concurrency.js';

/** EC2 accepts at most 200 values in one filter. */
export const FILTER_VALUES_MAX = 200;
/** AWS's EC2 pagination guidance: list resource ids where possible, at most 1,000 per call. */
export const RESOURCE_IDS_MAX = 1000;
const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];

/** Run an EC2 call; turn its failure into the reason string of a Result. */
async function gather<T>(operation: string, fn: () => Promise<T>): Promise<Result<T>> {
  try {
    return ok(await fn());
  } catch (err) {
    return fail(toAwsCallError('ec2', operation, err).message);
  }
}

async function collect<P, T>(operation: string, pages: AsyncIterable<P>, pick: (page: P) => T[] | undefined): Promise<T[]> {
  const out: T[] = [];
  try {
    for await (const page of pages) out.push(...(pick(page) ?? []));
  } catch (err) {
    throw toAwsCallError('ec2', operation, err);
  }
  return out;
}

export function selectorFilter(sel: TagSelector): Filter {
  return sel.values ? { Name: `tag:${sel.key}`, Values: sel.values } : { Name: 'tag-key', Values: [sel.key] };
}

/** What listing instances reads of the configuration: the selectors, and the tags naming a node's role and cluster. */
export type InstanceSelection = Pick<Config, 'tagSelectors' | 'roleTagKey' | 'clusterTagKey'>;

/** Instances matching any selector. Throws AwsCallError: without instances there is nothing to scan. */
export async function listInstances(
  ec2: EC2Client,
  accountId: string,
  region: string,
  config: InstanceSelection,
  only?: readonly string[],
): Promise<Instance[]> {
  const byId = new Map<string, Instance>();
  // A work unit names its instances: still filtered by tag and state, so a re-tagged instance drops out.
  const idFilters: (Filter | undefined)[] = only
    ? chunk(only, FILTER_VALUES_MAX).map((values) => ({ Name: 'instance-id', Values: values }))
    : [undefined];
  for (const sel of config.tagSelectors) {
    for (const idFilter of idFilters) {
      const filters = [selectorFilter(sel), { Name: 'instance-state-name', Values: LIVE_STATES }, ...(idFilter ? [idFilter] : [])];
      const pages = paginateDescribeInstances({ client: ec2, ...(idFilter ? {} : { pageSize: 1000 }) }, { Filters: filters });
      // Each page becomes records as it arrives: the SDK's raw instances (large) are never all held at once.
      const found = await collect('DescribeInstances', pages, (p) =>
        p.Reservations?.flatMap((r) => r.Instances ?? [])
          .filter((raw) => raw.InstanceId && !byId.has(raw.InstanceId))
          .map((raw) => toInstance(raw, accountId, region, config)),
      );
      for (const i of found) if (!byId.has(i.instanceId)) byId.set(i.instanceId, i);
    }
  }
  return [...byId.values()].sort((a, b) => a.instanceId.localeCompare(b.instanceId));
}

/**
 * Of these instance ids, the ones verifiably gone: terminated (or shutting
 * down), or unknown to EC2. Described by id alone, without the tag selectors:
 * an instance a narrower scan did not select, or that lost its tag, is not gone.
 */
export async function goneInstances(ec2: EC2Client, ids: readonly string[]): Promise<Set<string>> {
  const alive = new Set<string>();
  for (const values of chunk([...ids], FILTER_VALUES_MAX)) {
    const pages = paginateDescribeInstances({ client: ec2 }, { Filters: [{ Name: 'instance-id', Values: values }] });
    for (const raw of await collect('DescribeInstances', pages, (p) => p.Reservations?.flatMap((r) => r.Instances ?? []))) {
      if (raw.InstanceId && !['terminated', 'shutting-down'].includes(raw.State?.Name ?? '')) alive.add(raw.InstanceId);
    }
  }
  return new Set(ids.filter((id) => !alive.has(id)));
}

export function toInstance(raw: Ec2Instance, accountId: string, region: string, config: InstanceSelection): Instance {
  const tags = Object.fromEntries((raw.Tags ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? '']));
  const roleTag = tags[config.roleTagKey]?.trim().toLowerCase();
  const role: InfluxRole = INFLUX_ROLES.includes(roleTag as InfluxRole) ? (roleTag as InfluxRole) : 'oss';
  const interfaces = (raw.NetworkInterfaces ?? []).map((ni) => ({
    id: ni.NetworkInterfaceId ?? '',
    ...((ni.SubnetId ?? raw.SubnetId) ? { subnetId: (ni.SubnetId ?? raw.SubnetId)! } : {}),
    privateIps: unique((ni.PrivateIpAddresses ?? []).map((p) => p.PrivateIpAddress).filter((x): x is string => !!x)),
    publicIps: unique(
      [ni.Association?.PublicIp, ...(ni.PrivateIpAddresses ?? []).map((p) => p.Association?.PublicIp)].filter((x): x is string => !!x),
    ),
    ipv6: (ni.Ipv6Addresses ?? []).map((a) => a.Ipv6Address).filter((x): x is string => !!x),
    securityGroupIds: (ni.Groups ?? []).map((g) => g.GroupId).filter((x): x is string => !!x),
  }));
  const fromInterfaces = <K extends 'privateIps' | 'publicIps' | 'ipv6' | 'securityGroupIds'>(k: K) => interfaces.flatMap((i) => i[k]);
  const instance: Instance = {
    accountId,
    region,
    instanceId: raw.InstanceId!,
    state: raw.State?.Name ?? 'unknown',
    role,
    tags,
    interfaces,
    securityGroupIds: unique([...fromInterfaces('securityGroupIds'), ...(raw.SecurityGroups ?? []).map((g) => g.GroupId!).filter(Boolean)]),
    privateIps: unique([...fromInterfaces('privateIps'), ...(raw.PrivateIpAddress ? [raw.PrivateIpAddress] : [])]),
    publicIps: unique([...fromInterfaces('publicIps'), ...(raw.PublicIpAddress ? [raw.PublicIpAddress] : [])]),
    ipv6: unique([...fromInterfaces('ipv6'), ...(raw.Ipv6Address ? [raw.Ipv6Address] : [])]),
    blockDevices: (raw.BlockDeviceMappings ?? [])
      .filter((b) => b.Ebs?.VolumeId)
      .map((b) => ({ volumeId: b.Ebs!.VolumeId!, device: b.DeviceName ?? '' })),
  };
  if (tags.Name) instance.name = tags.Name;
  if (raw.VpcId) instance.vpcId = raw.VpcId;
  const md = raw.MetadataOptions;
  if (md?.HttpEndpoint || md?.HttpTokens)
    instance.metadataOptions = { httpEndpoint: md.HttpEndpoint ?? 'enabled', httpTokens: md.HttpTokens ?? 'optional' };
  if (raw.LaunchTime) instance.launchTime = new Date(raw.LaunchTime).toISOString();
  if (role !== 'oss') {
    const cluster = tags[config.clusterTagKey] || raw.VpcId;
    if (cluster) instance.cluster = cluster;
  }
  return instance;
}

export function toRules(perms: IpPermission[] | undefined): InboundRule[] {
  const rules: InboundRule[] = [];
  for (const p of perms ?? []) {
    const protocol = normaliseProtocol(p.IpProtocol ?? '-1');
    const ported = protocol === 'tcp' || protocol === 'udp';
    const fromPort = ported && p.FromPort !== undefined && p.FromPort >= 0 ? p.FromPort : 0;
    const toPort = ported && p.ToPort !== undefined && p.ToPort >= 0 ? p.ToPort : 65535;
    const sources: RuleSource[] = [
      ...(p.IpRanges ?? []).map((r) => ({ kind: 'cidr' as const, cidr: r.CidrIp!, description: r.Description })),
      ...(p.Ipv6Ranges ?? []).map((r) => ({ kind: 'cidr' as const, cidr: r.CidrIpv6!, description: r.Description })),
      ...(p.PrefixListIds ?? []).map((r) => ({ kind: 'prefixList' as const, prefixListId: r.PrefixListId!, description: r.Description })),
      ...(p.UserIdGroupPairs ?? []).map((r) => ({
        kind: 'securityGroup' as const,
        groupId: r.GroupId!,
        ownerId: r.UserId,
        description: r.Description,
      })),
    ];
    for (const source of sources) {
      if (source.description === undefined) delete source.description;
      if (source.kind === 'securityGroup' && source.ownerId === undefined) delete source.ownerId;
      rules.push({ protocol, fromPort, toPort, source });
    }
  }
  return rules;
}

const PROTOCOL_NUMBERS = new Map([
  ['-1', 'all'],
  ['6', 'tcp'],
  ['17', 'udp'],
  ['1', 'icmp'],
  ['58', 'icmpv6'],
]);
export const normaliseProtocol = (p: string): string => PROTOCOL_NUMBERS.get(p) ?? p.toLowerCase();

export function toGroup(g: Ec2SecurityGroup): SecurityGroup {
  const group: SecurityGroup = { groupId: g.GroupId!, groupName: g.GroupName ?? '', inbound: toRules(g.IpPermissions) };
  if (g.VpcId) group.vpcId = g.VpcId;
  if (g.OwnerId) group.ownerId = g.OwnerId;
  return group;
}

function toVolume(v: Ec2Volume): Volume {
  const vol: Volume = {
    volumeId: v.VolumeId!,
    encrypted: v.Encrypted === true,
    attachments: (v.Attachments ?? []).filter((a) => a.InstanceId).map((a) => ({ instanceId: a.InstanceId!, device: a.Device ?? '' })),
  };
  if (v.KmsKeyId) vol.kmsKeyId = v.KmsKeyId;
  if (v.Size !== undefined) vol.sizeGiB = v.Size;
  if (v.VolumeType) vol.volumeType = v.VolumeType;
  if (v.State) vol.state = v.State;
  return vol;
}

async function describeInChunks<P, T>(
  operation: string,
  ids: string[],
  page: (values: string[]) => AsyncIterable<P>,
  pick: (p: P) => T[] | undefined,
): Promise<T[]> {
  const parts = await Promise.all(chunk(ids, FILTER_VALUES_MAX).map((values) => collect(operation, page(values), pick)));
  return parts.flat();
}

/**
 * The instances' volumes by id (the fastest describe, up to 1,000 ids a call).
 * A volume deleted since the instances were listed fails the whole call: that
 * chunk is then read by attachment, 200 instances a call.
 */
async function volumesById(ec2: EC2Client, ids: string[], instances: readonly Instance[]): Promise<Ec2Volume[]> {
  try {
    return (await ec2.send(new DescribeVolumesCommand({ VolumeIds: ids }))).Volumes ?? [];
  } catch (err) {
    if (!/InvalidVolume\.NotFound/.test(errorCode(err))) throw toAwsCallError('ec2', 'DescribeVolumes', err);
    const wanted = new Set(ids);
    const owners = instances.filter((i) => i.blockDevices.some((b) => wanted.has(b.volumeId))).map((i) => i.instanceId);
    return describeInChunks(
      'DescribeVolumes',
      owners,
      (values) =>
        paginateDescribeVolumes({ client: ec2, pageSize: 500 }, { Filters: [{ Name: 'attachment.instance-id', Values: values }] }),
      (p) => p.Volumes,
    );
  }
}

/** The instances' EBS volumes by id (EC2 instances; the container instances of ECS services), or why they could not be read. */
export function instanceVolumes(ec2: EC2Client, instances: readonly Instance[]): Promise<Result<Map<string, Volume>>> {
  return gather('DescribeVolumes', async () => {
    const vols = (
      await Promise.all(
        chunk(unique(instances.flatMap((i) => i.blockDevices.map((b) => b.volumeId))), RESOURCE_IDS_MAX).map((ids) =>
          volumesById(ec2, ids, instances),
        ),
      )
    ).flat();
    return new Map(vols.map((v) => [v.VolumeId!, toVolume(v)]));
  });
}

/** The region's EC2 records that the subjects of every kind share (lib/kinds/ lists the subjects). */
export type RegionResources = Pick<RegionInventory, 'securityGroups' | 'volumes' | 'prefixLists' | 'ebsDefaultEncryption'>;

/**
 * The security groups (with their prefix lists) of the subjects every kind
 * listed and of the internet-facing load balancers (`lbGroupIds`, when the
 * region's paths are read), the EC2 instances' volumes and the account's EBS
 * default: read once per region, and not at all when no kind found a subject there.
 */
export async function discoverRegionResources(
  ec2: EC2Client,
  instances: readonly Instance[],
  groupIds: readonly string[],
  anySubject: boolean,
  wants: (key: EvidenceKey) => boolean = () => true,
  lbGroupIds?: Promise<readonly string[]>,
): Promise<RegionResources> {
  const none = fail<never>('not read: the region has no InfluxDB instances');
  if (!anySubject) return { securityGroups: ok(new Map()), volumes: ok(new Map()), prefixLists: new Map(), ebsDefaultEncryption: none };
  // What no check of the scan reads is not read (`influxguard scan --check`): no check sees the placeholder.
  const unread = fail<never>('not read: no check of this scan needs it');
  const [securityGroups, volumes, ebsDefaultEncryption] = await Promise.all([
    !wants('network')
      ? unread
      : gather('DescribeSecurityGroups', async () => {
          // The internet-facing load balancers' own groups in the same describe (listed before: lib/discover/network.ts).
          const theirs = (await lbGroupIds) ?? [];
          const groups = await describeInChunks(
            'DescribeSecurityGroups',
            unique([...groupIds, ...theirs]),
            (values) =>
              paginateDescribeSecurityGroups({ client: ec2, pageSize: 1000 }, { Filters: [{ Name: 'group-id', Values: values }] }),
            (p) => p.SecurityGroups,
          );
          return new Map(groups.map((g) => [g.GroupId!, toGroup(g)]));
        }),
    !wants('volumes') ? unread : instanceVolumes(ec2, instances),
    !wants('ebsDefaultEncryption')
      ? unread
      : gather('GetEbsEncryptionByDefault', async () => {
          if (!instances.length) throw new Error('not read: the region has no EC2 InfluxDB instances');
          const out = await ec2.send(new GetEbsEncryptionByDefaultCommand({}));
          return out.EbsEncryptionByDefault === true;
        }),
  ]);

  const prefixListIds = securityGroups.ok
    ? unique(
        [...securityGroups.value.values()].flatMap((g) =>
          g.inbound.flatMap((r) => (r.source.kind === 'prefixList' ? [r.source.prefixListId] : [])),
        ),
      )
    : [];
  const prefixLists = await readPrefixLists(ec2, prefixListIds);

  return { securityGroups, volumes, prefixLists, ebsDefaultEncryption };
}

/**
 * Managed prefix lists' CIDRs (customer-managed and AWS-managed `com.amazonaws.…` alike), one paginated
 * GetManagedPrefixListEntries each, or why a list could not be read: the security groups' sources, and the
 * destinations of routes (lib/discover/network.ts, for the lists not read here).
 */
export async function readPrefixLists(ec2: EC2Client, ids: readonly string[]): Promise<Map<string, Result<string[]>>> {
  const resolved = await mapLimit(ids, 4, (id) =>
    gather('GetManagedPrefixListEntries', () =>
      collect('GetManagedPrefixListEntries', paginateGetManagedPrefixListEntries({ client: ec2 }, { PrefixListId: id }), (p) =>
        p.Entries?.map((e) => e.Cidr!).filter(Boolean),
      ),
    ),
  );
  return new Map(ids.map((id, i) => [id, resolved[i]!]));
}
