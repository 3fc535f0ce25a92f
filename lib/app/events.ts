/**
 * Event-driven rescans (pure): which selected resources a CloudTrail
 * management event (delivered by EventBridge as "AWS API Call via CloudTrail")
 * can have changed the exposure or encryption of. An event names instances,
 * Timestream for InfluxDB databases, groups, network interfaces, a subnet, a
 * VPC, a route table or network ACL (resolved to its VPC by lib/app/rescan.ts),
 * or nothing more precise than its region; the region's selected resources
 * (`Selected`, one per resource of each kind) turn that into ids. A change
 * this module cannot narrow maps to the whole region: conservative, never
 * silent, and rate-limited by the caller.
 */
import { z } from 'zod';
import type { Config } from '../config.js';
import type { Instance, TimestreamDb } from '../model.js';
import SOURCES from './cloudtrail-events.json' with { type: 'json' };

/**
 * The CloudTrail events the rules match, by event source: the one list that serverless/events.cjs builds the
 * EventBridge pattern from (the scanner's rule and the member accounts' forwarding rule) and that this module maps.
 */
export const CHANGE_EVENTS: Readonly<Record<string, { source: string; events: readonly string[] }>> = SOURCES;
export const ELB_EVENTS = SOURCES['elasticloadbalancing.amazonaws.com'].events;
export const TIMESTREAM_EVENTS = SOURCES['timestream-influxdb.amazonaws.com'].events;

/**
 * The kinds of selected resource a change can touch. A kind added here (ECS services come with their issue) needs
 * its `Selected` view below, its listing in lib/app/rescan.ts (KINDS) and its place in the pending changes.
 */
export type ResourceKind = 'instance' | 'database';

/** A selected resource as the mapping sees it: what a change can name or touch. */
export interface Selected {
  kind: ResourceKind;
  id: string;
  securityGroupIds: readonly string[];
  vpcId?: string;
  subnetIds: readonly string[];
  networkInterfaceIds: readonly string[];
  /** Where a load balancer's `ip` targets point. */
  privateIps: readonly string[];
}

export const selectedInstance = (i: Instance): Selected => ({
  kind: 'instance',
  id: i.instanceId,
  securityGroupIds: i.securityGroupIds,
  ...(i.vpcId ? { vpcId: i.vpcId } : {}),
  subnetIds: i.interfaces.flatMap((n) => (n.subnetId ? [n.subnetId] : [])),
  networkInterfaceIds: i.interfaces.map((n) => n.id),
  privateIps: i.privateIps,
});

/** A Timestream database: only its groups matter here (routes and ACLs are not part of its checks). */
export const selectedDatabase = (d: TimestreamDb): Selected => ({
  kind: 'database',
  id: d.id,
  securityGroupIds: d.securityGroupIds,
  subnetIds: [],
  networkInterfaceIds: [],
  privateIps: [],
});

/** What an event can have changed, in one account × region. */
export interface Change {
  accountId: string;
  region: string;
  /** The CloudTrail event name (for logs). */
  cause: string;
  instanceIds: string[];
  /** Timestream for InfluxDB databases the event named (`*`: one it changed without a readable id). */
  databaseIds: string[];
  groupIds: string[];
  networkInterfaceIds: string[];
  vpcIds: string[];
  subnetIds: string[];
  /** Named by id only: their VPC is looked up (DescribeRouteTables / DescribeNetworkAcls) before the change is noted. */
  routeTableIds: string[];
  routeTableAssociationIds: string[];
  networkAclIds: string[];
  /** Nothing narrower is known: every selected resource of the region (and its region checks). */
  wholeRegion: boolean;
  /** Why a change is region-wide (for logs). */
  why?: string;
}

type Narrowing = Omit<Change, 'accountId' | 'region' | 'cause' | 'wholeRegion' | 'why'>;
const NARROWING: readonly (keyof Narrowing)[] = [
  'instanceIds',
  'databaseIds',
  'groupIds',
  'networkInterfaceIds',
  'vpcIds',
  'subnetIds',
  'routeTableIds',
  'routeTableAssociationIds',
  'networkAclIds',
];

/** Whether the change names a route table, association or network ACL whose VPC must be looked up first. */
export const needsVpc = (c: Change): boolean =>
  !c.wholeRegion && !c.vpcIds.length && !!(c.routeTableIds.length || c.routeTableAssociationIds.length || c.networkAclIds.length);

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
const SUBNET = /^subnet-[0-9a-f]{8,17}$/;
const ROUTE_TABLE = /^rtb-[0-9a-f]{8,17}$/;
const RTB_ASSOCIATION = /^rtbassoc-[0-9a-f]{8,17}$/;
const ACL = /^acl-[0-9a-f]{8,17}$/;
/** Timestream for InfluxDB identifiers (lib/discover/timestream.ts), alone or at the end of the DB's ARN. */
const DATABASE = /^[A-Za-z0-9]{1,64}$/;
const DATABASE_ARN = /^arn:aws[a-z-]*:timestream-influxdb:[a-z0-9-]{1,30}:\d{12}:db-(?:instance|cluster)\/([A-Za-z0-9]{1,64})$/;

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

const rec = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** The Timestream database a request or response names (identifier, cluster id, or ARN). */
function databaseOf(req: Record<string, unknown>, res: Record<string, unknown>): string[] {
  for (const v of [req.identifier, req.dbClusterId, res.id, res.dbClusterId]) {
    const id = str(v, DATABASE);
    if (id.length) return id;
  }
  for (const v of [req.resourceArn, res.arn]) {
    const m = typeof v === 'string' && v.length <= 256 ? DATABASE_ARN.exec(v) : null;
    if (m) return [m[1]!];
  }
  return ['*'];
}

/** Timestream for InfluxDB management events: the database (tags only when a watched key changes). */
function timestreamChange(
  detail: CloudTrailDetail,
  req: Record<string, unknown>,
  res: Record<string, unknown>,
  config: Config,
): Narrowing['databaseIds'] | undefined {
  if (!(TIMESTREAM_EVENTS as readonly string[]).includes(detail.eventName)) return undefined;
  if (detail.eventName === 'TagResource' || detail.eventName === 'UntagResource') {
    const keys = Array.isArray(req.tagKeys) ? req.tagKeys : Object.keys(rec(req.tags));
    if (!keys.some((k) => typeof k === 'string' && watchedTagKeys(config)(k))) return undefined;
    // Tags on something else (a parameter group) change no database.
    if (typeof req.resourceArn === 'string' && !DATABASE_ARN.test(req.resourceArn)) return undefined;
  }
  return databaseOf(req, res);
}

/**
 * The change an event stands for; undefined when it cannot change anything
 * influxguard judges (a failed call, a tag key nobody selects on, an instance
 * attribute other than its groups, an event source or name it does not know).
 */
export function changeOf(detail: CloudTrailDetail, account: string, config: Config): Change | undefined {
  if (detail.errorCode) return undefined; // the call failed: nothing changed
  const req = detail.requestParameters ?? {};
  const res = detail.responseElements ?? {};
  const base: Change = {
    accountId: detail.recipientAccountId ?? account,
    region: detail.awsRegion,
    cause: detail.eventName,
    ...(Object.fromEntries(NARROWING.map((k) => [k, []])) as unknown as Narrowing),
    wholeRegion: false,
  };
  const narrowTo = (part: Partial<Narrowing>, why = 'the event names nothing narrower than its region'): Change => {
    const change = { ...base, ...part };
    return NARROWING.some((k) => change[k].length) ? change : { ...change, wholeRegion: true, why };
  };
  switch (detail.eventSource) {
    case 'elasticloadbalancing.amazonaws.com': {
      if (!(ELB_EVENTS as readonly string[]).includes(detail.eventName)) return undefined;
      const targets = Array.isArray(req.targets) ? req.targets.flatMap((t) => str(rec(t).id, INSTANCE)) : [];
      const classic = Array.isArray(req.instances) ? req.instances.flatMap((t) => str(rec(t).instanceId, INSTANCE)) : [];
      return narrowTo({ instanceIds: [...targets, ...classic] }, 'a load balancer change that names no instance');
    }
    case 'timestream-influxdb.amazonaws.com': {
      const databaseIds = timestreamChange(detail, req, res, config);
      return databaseIds ? narrowTo({ databaseIds }) : undefined;
    }
    case 'ec2.amazonaws.com':
      break;
    default:
      return undefined;
  }
  switch (detail.eventName) {
    case 'AuthorizeSecurityGroupIngress':
    case 'RevokeSecurityGroupIngress':
      return narrowTo({ groupIds: str(req.groupId, GROUP) });
    case 'ModifySecurityGroupRules':
      return narrowTo({ groupIds: str(rec(req.ModifySecurityGroupRulesRequest).GroupId, GROUP) });
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
    case 'DetachVolume':
      // A detach may name only the volume (it is attached to one instance): then the region.
      return narrowTo({ instanceIds: str(req.instanceId, INSTANCE) }, `${detail.eventName} without an instance id`);
    case 'AssociateAddress':
      return narrowTo({ instanceIds: str(req.instanceId, INSTANCE), networkInterfaceIds: str(req.networkInterfaceId, ENI) });
    case 'DisassociateAddress':
      // Names only the address or its association, which no longer leads to the instance: the region.
      return narrowTo({}, 'DisassociateAddress names only the address');
    case 'AssociateRouteTable':
      // A subnet's association changes only that subnet's routes (a gateway's, the VPC's: by its table).
      return narrowTo(
        str(req.subnetId, SUBNET).length ? { subnetIds: str(req.subnetId, SUBNET) } : { routeTableIds: str(req.routeTableId, ROUTE_TABLE) },
      );
    case 'ReplaceRouteTableAssociation':
    case 'CreateRoute':
    case 'ReplaceRoute':
    case 'DeleteRoute':
      return narrowTo({ routeTableIds: str(req.routeTableId, ROUTE_TABLE) });
    case 'DisassociateRouteTable':
      return narrowTo({ routeTableAssociationIds: str(req.associationId, RTB_ASSOCIATION) });
    case 'CreateNetworkAclEntry':
    case 'ReplaceNetworkAclEntry':
    case 'DeleteNetworkAclEntry':
    case 'ReplaceNetworkAclAssociation':
      return narrowTo({ networkAclIds: str(req.networkAclId, ACL) });
    case 'AttachInternetGateway':
    case 'DetachInternetGateway':
      return narrowTo({ vpcIds: str(req.vpcId, VPC) });
    case 'EnableEbsEncryptionByDefault':
    case 'DisableEbsEncryptionByDefault':
      return narrowTo({}, 'the region’s EBS encryption default changed');
    case 'ModifyManagedPrefixList':
      return narrowTo({}, 'a prefix list may be referenced by any group of the region');
    default:
      return undefined;
  }
}

/** The selected resources a change touches (ids the event named that are not selected are dropped). */
export function affected(change: Change, selected: readonly Selected[]): Selected[] {
  const ids = new Set(change.instanceIds);
  const groups = new Set(change.groupIds);
  const enis = new Set(change.networkInterfaceIds);
  const vpcs = new Set(change.vpcIds);
  const subnets = new Set(change.subnetIds);
  return selected.filter(
    (r) =>
      (r.kind === 'instance' && ids.has(r.id)) ||
      r.securityGroupIds.some((g) => groups.has(g)) ||
      r.networkInterfaceIds.some((n) => enis.has(n)) ||
      r.subnetIds.some((s) => subnets.has(s)) ||
      (r.vpcId !== undefined && vpcs.has(r.vpcId)),
  );
}

/** An internet-facing load balancer carrying one of the changed groups: what it forwards to. */
export interface Balancer {
  name: string;
  instanceIds: readonly string[];
  ips: readonly string[];
}

/** The selected resources behind these load balancers (instance targets, or `ip` targets at their private addresses). */
export function behind(balancers: readonly Balancer[], selected: readonly Selected[]): Selected[] {
  const ids = new Set(balancers.flatMap((b) => b.instanceIds));
  const ips = new Set(balancers.flatMap((b) => b.ips));
  return selected.filter((r) => ids.has(r.id) || r.privateIps.some((ip) => ips.has(ip)));
}
