/**
 * Event-driven rescans (pure): which instances a CloudTrail management event
 * (delivered by EventBridge as "AWS API Call via CloudTrail") can have changed
 * the exposure or encryption of. An event names instances, groups, network
 * interfaces, a VPC, or nothing more precise than its region; the inventory
 * (the region's selected instances, lib/discover/ec2.ts listInstances) turns
 * that into instance ids. Events this module does not know, or cannot narrow,
 * map to the whole region: conservative, never silent.
 */
import { z } from 'zod';
import type { Config } from '../config.js';
import type { Instance } from '../model.js';

/** The CloudTrail event names the rules match (serverless/events.cjs builds the EventBridge pattern from this list). */
export const EC2_EVENTS = [
  'AuthorizeSecurityGroupIngress',
  'RevokeSecurityGroupIngress',
  'ModifySecurityGroupRules',
  'ModifyInstanceAttribute',
  'ModifyNetworkInterfaceAttribute',
  'RunInstances',
  'StartInstances',
  'CreateTags',
  'DeleteTags',
  'AttachVolume',
  'AssociateAddress',
  'EnableEbsEncryptionByDefault',
  'DisableEbsEncryptionByDefault',
  'ModifyManagedPrefixList',
  // Routing and network ACLs (the reachability model): mapped to their VPC when the event names it, else the region.
  'CreateRoute',
  'ReplaceRoute',
  'DeleteRoute',
  'AssociateRouteTable',
  'ReplaceRouteTableAssociation',
  'DisassociateRouteTable',
  'AttachInternetGateway',
  'DetachInternetGateway',
  'CreateNetworkAclEntry',
  'ReplaceNetworkAclEntry',
  'DeleteNetworkAclEntry',
  'ReplaceNetworkAclAssociation',
] as const;
export const ELB_EVENTS = [
  'CreateLoadBalancer',
  'DeleteLoadBalancer',
  'CreateListener',
  'ModifyListener',
  'DeleteListener',
  'RegisterTargets',
  'DeregisterTargets',
  'SetSecurityGroups',
  'SetSubnets',
  'CreateRule',
  'ModifyRule',
  'DeleteRule',
  'ModifyTargetGroup',
  // Classic load balancers
  'RegisterInstancesWithLoadBalancer',
  'DeregisterInstancesFromLoadBalancer',
  'CreateLoadBalancerListeners',
  'DeleteLoadBalancerListeners',
  'ApplySecurityGroupsToLoadBalancer',
] as const;

/** What an event can have changed, in one account × region. */
export interface Change {
  accountId: string;
  region: string;
  /** The CloudTrail event name (for logs). */
  cause: string;
  instanceIds: string[];
  groupIds: string[];
  networkInterfaceIds: string[];
  vpcIds: string[];
  /** Nothing narrower is known: every selected instance of the region (and its region checks). */
  wholeRegion: boolean;
}

const ID = z.string().max(64);
const itemsOf = (v: unknown, key: string): string[] => {
  const items = (v as { items?: unknown } | undefined)?.items;
  if (!Array.isArray(items)) return [];
  return items.flatMap((i) => {
    const s = (i as Record<string, unknown> | undefined)?.[key];
    return typeof s === 'string' && ID.safeParse(s).success ? [s] : [];
  });
};
const str = (v: unknown, re: RegExp): string[] => (typeof v === 'string' && v.length <= 64 && re.test(v) ? [v] : []);
const INSTANCE = /^i-[0-9a-f]{8,17}$/;
const GROUP = /^sg-[0-9a-f]{8,17}$/;
const ENI = /^eni-[0-9a-f]{8,17}$/;
const VPC = /^vpc-[0-9a-f]{8,17}$/;

/** The part of a CloudTrail record this module reads (everything else is ignored; strings are bounded). */
export const CloudTrailDetailSchema = z.object({
  eventSource: z.string().max(100),
  eventName: z.string().max(100),
  awsRegion: z.string().max(40),
  recipientAccountId: z
    .string()
    .regex(/^\d{12}$/)
    .optional(),
  errorCode: z.string().max(200).optional(),
  requestParameters: z.record(z.string(), z.unknown()).nullish(),
  responseElements: z.record(z.string(), z.unknown()).nullish(),
  userIdentity: z
    .object({ arn: z.string().max(2048).optional() })
    .passthrough()
    .optional(),
});
export type CloudTrailDetail = z.infer<typeof CloudTrailDetailSchema>;

/** Tag keys whose change can change what is selected or how it is judged (selectors, role, cluster, `influxdb:*`). */
function watchedTagKeys(config: Config): (key: string) => boolean {
  const keys = new Set([...config.tagSelectors.map((s) => s.key), config.roleTagKey, config.clusterTagKey]);
  return (key) => keys.has(key) || key.startsWith('influxdb:');
}

/**
 * The change an event stands for; undefined when it cannot change anything
 * influxguard judges (a failed call, a tag key nobody selects on, an instance
 * attribute other than its groups).
 */
export function changeOf(detail: CloudTrailDetail, account: string, config: Config): Change | undefined {
  if (detail.errorCode) return undefined; // the call failed: nothing changed
  const req = detail.requestParameters ?? {};
  const res = detail.responseElements ?? {};
  const change: Change = {
    accountId: detail.recipientAccountId ?? account,
    region: detail.awsRegion,
    cause: detail.eventName,
    instanceIds: [],
    groupIds: [],
    networkInterfaceIds: [],
    vpcIds: [],
    wholeRegion: false,
  };
  const narrowTo = (part: Partial<Pick<Change, 'instanceIds' | 'groupIds' | 'networkInterfaceIds' | 'vpcIds'>>): Change => {
    Object.assign(change, part);
    const none = !change.instanceIds.length && !change.groupIds.length && !change.networkInterfaceIds.length && !change.vpcIds.length;
    return none ? { ...change, wholeRegion: true } : change;
  };
  const vpcOf = () => [...str(req.vpcId, VPC), ...str((res.routeTable as Record<string, unknown> | undefined)?.vpcId, VPC)];
  if (detail.eventSource === 'elasticloadbalancing.amazonaws.com') {
    const targets = Array.isArray(req.targets) ? req.targets.flatMap((t) => str((t as { id?: unknown })?.id, INSTANCE)) : [];
    const classic = Array.isArray(req.instances)
      ? req.instances.flatMap((t) => str((t as { instanceId?: unknown })?.instanceId, INSTANCE))
      : [];
    return narrowTo({ instanceIds: [...targets, ...classic] });
  }
  if (detail.eventSource !== 'ec2.amazonaws.com') return undefined;
  switch (detail.eventName) {
    case 'AuthorizeSecurityGroupIngress':
    case 'RevokeSecurityGroupIngress':
      return narrowTo({ groupIds: str(req.groupId, GROUP) });
    case 'ModifySecurityGroupRules':
      return narrowTo({ groupIds: str((req.ModifySecurityGroupRulesRequest as Record<string, unknown> | undefined)?.GroupId, GROUP) });
    case 'ModifyInstanceAttribute':
      if (!req.groupSet && req.attribute !== 'groupSet') return undefined;
      return narrowTo({ instanceIds: str(req.instanceId, INSTANCE) });
    case 'ModifyNetworkInterfaceAttribute':
      if (!req.groupSet) return undefined;
      return narrowTo({ networkInterfaceIds: str(req.networkInterfaceId, ENI) });
    case 'RunInstances':
      return narrowTo({ instanceIds: itemsOf(res.instancesSet, 'instanceId').filter((i) => INSTANCE.test(i)) });
    case 'StartInstances':
      return narrowTo({ instanceIds: itemsOf(req.instancesSet, 'instanceId').filter((i) => INSTANCE.test(i)) });
    case 'CreateTags':
    case 'DeleteTags': {
      const watched = watchedTagKeys(config);
      if (!itemsOf(req.tagSet, 'key').some(watched)) return undefined;
      const instances = itemsOf(req.resourcesSet, 'resourceId').filter((i) => INSTANCE.test(i));
      return instances.length ? narrowTo({ instanceIds: instances }) : undefined;
    }
    case 'AttachVolume':
      return narrowTo({ instanceIds: str(req.instanceId, INSTANCE) });
    case 'AssociateAddress':
      return narrowTo({ instanceIds: str(req.instanceId, INSTANCE), networkInterfaceIds: str(req.networkInterfaceId, ENI) });
    default:
      // Routing, network ACLs, gateways: their VPC when the event names it; default encryption, prefix lists: the region.
      return (EC2_EVENTS as readonly string[]).includes(detail.eventName) ? narrowTo({ vpcIds: vpcOf() }) : undefined;
  }
}

/** The selected instances of the region a change affects (ids the event named that are not selected are dropped). */
export function affectedInstances(change: Change, inventory: readonly Instance[]): string[] {
  const ids = new Set(change.instanceIds);
  const groups = new Set(change.groupIds);
  const enis = new Set(change.networkInterfaceIds);
  const vpcs = new Set(change.vpcIds);
  return inventory
    .filter(
      (i) =>
        ids.has(i.instanceId) ||
        i.securityGroupIds.some((g) => groups.has(g)) ||
        i.interfaces.some((n) => enis.has(n.id)) ||
        (i.vpcId !== undefined && vpcs.has(i.vpcId)),
    )
    .map((i) => i.instanceId);
}
