/**
 * Event-driven rescans (pure): which selected resources a CloudTrail
 * management event (delivered by EventBridge as "AWS API Call via CloudTrail")
 * can have changed the exposure or encryption of. An event names subjects of a
 * kind (each kind of the registry maps the records that name it:
 * lib/kinds/<kind>/events.ts), groups, network interfaces, a subnet, a VPC, a
 * route table or network ACL (resolved to its VPC by lib/app/rescan.ts), or
 * nothing more precise than its region; the region's selected resources
 * (`Selected`, one per resource of each kind) turn that into ids. A change
 * this module cannot narrow maps to the whole region: conservative, never
 * silent, and rate-limited by the caller.
 */
import { z } from 'zod';
import type { Config } from '../config.js';
import { KINDS } from '../kinds/index.js';
import { rec, str, watchedTagKeys, type ChangeRecord, type NetworkNamed, type RecordNamed, type Selected } from '../kinds/events.js';
import { lazy } from '../util/lazy.js';

export { CHANGE_EVENTS, type Selected } from '../kinds/events.js';

/** What an event can have changed, in one account × region. */
export interface Change extends NetworkNamed {
  accountId: string;
  region: string;
  /** The CloudTrail event name (for logs). */
  cause: string;
  /** The ids of each kind's subjects the event named, by the kind's name (`*`: one it changed without a readable id). */
  named: Record<string, string[]>;
  /** Nothing narrower is known: every selected resource of the region (and its region checks). */
  wholeRegion: boolean;
  /** Why a change is region-wide (for logs). */
  why?: string;
}

const NETWORK: readonly (keyof NetworkNamed)[] = [
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

const GROUP = /^sg-[0-9a-f]{8,17}$/;
const ENI = /^eni-[0-9a-f]{8,17}$/;
const VPC = /^vpc-[0-9a-f]{8,17}$/;
const SUBNET = /^subnet-[0-9a-f]{8,17}$/;
const ROUTE_TABLE = /^rtb-[0-9a-f]{8,17}$/;
const RTB_ASSOCIATION = /^rtbassoc-[0-9a-f]{8,17}$/;
const ACL = /^acl-[0-9a-f]{8,17}$/;

/** The part of a CloudTrail record this module reads (everything else is ignored; strings are bounded). */
/** Built on first use (lib/util/lazy.ts). */
export const CloudTrailDetailSchema = lazy(() =>
  z.object({
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
  }),
);
export type CloudTrailDetail = z.infer<ReturnType<typeof CloudTrailDetailSchema>>;

/**
 * The EC2 network events every kind shares (groups, interfaces, routes, ACLs, gateways, the region's defaults): what
 * they name; undefined when the record is not one of them or changes nothing judged. The events that name a kind's
 * subjects are the kind's (lib/kinds/<kind>/events.ts).
 */
function networkNamed(r: ChangeRecord): { also: Partial<NetworkNamed>; why?: string } | undefined {
  if (r.eventSource !== 'ec2.amazonaws.com') return undefined;
  const req = r.requestParameters;
  switch (r.eventName) {
    case 'AuthorizeSecurityGroupIngress':
    case 'RevokeSecurityGroupIngress':
      return { also: { groupIds: str(req.groupId, GROUP) } };
    case 'ModifySecurityGroupRules':
      return { also: { groupIds: str(rec(req.ModifySecurityGroupRulesRequest).GroupId, GROUP) } };
    case 'ModifyNetworkInterfaceAttribute':
      if (!req.groupSet) return undefined;
      return { also: { networkInterfaceIds: str(req.networkInterfaceId, ENI) } };
    case 'DisassociateAddress':
      // Names only the address or its association, which no longer leads to the instance: the region.
      return { also: {}, why: 'DisassociateAddress names only the address' };
    case 'AssociateRouteTable':
      // A subnet's association changes only that subnet's routes (a gateway's, the VPC's: by its table).
      return {
        also: str(req.subnetId, SUBNET).length
          ? { subnetIds: str(req.subnetId, SUBNET) }
          : { routeTableIds: str(req.routeTableId, ROUTE_TABLE) },
      };
    case 'ReplaceRouteTableAssociation':
    case 'CreateRoute':
    case 'ReplaceRoute':
    case 'DeleteRoute':
      return { also: { routeTableIds: str(req.routeTableId, ROUTE_TABLE) } };
    case 'DisassociateRouteTable':
      return { also: { routeTableAssociationIds: str(req.associationId, RTB_ASSOCIATION) } };
    case 'CreateNetworkAclEntry':
    case 'ReplaceNetworkAclEntry':
    case 'DeleteNetworkAclEntry':
    case 'ReplaceNetworkAclAssociation':
      return { also: { networkAclIds: str(req.networkAclId, ACL) } };
    case 'AttachInternetGateway':
    case 'DetachInternetGateway':
      return { also: { vpcIds: str(req.vpcId, VPC) } };
    case 'EnableEbsEncryptionByDefault':
    case 'DisableEbsEncryptionByDefault':
      return { also: {}, why: 'the region’s EBS encryption default changed' };
    case 'ModifyManagedPrefixList':
      return { also: {}, why: 'a prefix list may be referenced by any group of the region' };
    default:
      return undefined;
  }
}

/**
 * The change an event stands for; undefined when it cannot change anything
 * influxguard judges (a failed call, a tag key nobody selects on, an instance
 * attribute other than its groups, an event source or name it does not know).
 */
export function changeOf(detail: CloudTrailDetail, account: string, config: Config): Change | undefined {
  if (detail.errorCode) return undefined; // the call failed: nothing changed
  const r: ChangeRecord = {
    eventSource: detail.eventSource,
    eventName: detail.eventName,
    requestParameters: detail.requestParameters ?? {},
    responseElements: detail.responseElements ?? {},
  };
  const watched = watchedTagKeys(config);
  const parts: (RecordNamed & { kind?: string })[] = [];
  const shared = networkNamed(r);
  if (shared) parts.push({ ids: [], ...shared });
  for (const k of KINDS) {
    const n = k.events.named(r, watched);
    if (n) parts.push({ ...n, kind: k.name });
  }
  if (!parts.length) return undefined;
  const net = Object.fromEntries(NETWORK.map((key) => [key, parts.flatMap((p) => p.also?.[key] ?? [])])) as unknown as NetworkNamed;
  const named = Object.fromEntries(parts.flatMap((p) => (p.kind ? [[p.kind, p.ids]] : [])));
  const change: Change = {
    accountId: detail.recipientAccountId ?? account,
    region: detail.awsRegion,
    cause: detail.eventName,
    named,
    ...net,
    wholeRegion: false,
  };
  if (Object.values(named).some((ids) => ids.length) || NETWORK.some((key) => net[key].length)) return change;
  return { ...change, wholeRegion: true, why: parts.find((p) => p.why)?.why ?? 'the event names nothing narrower than its region' };
}

/** The selected resources a change touches (ids the event named that are not selected are dropped). */
export function affected(change: Change, selected: readonly Selected[]): Selected[] {
  const named = (r: Selected) => change.named[r.kind]?.includes(r.id) ?? false;
  const groups = new Set(change.groupIds);
  const enis = new Set(change.networkInterfaceIds);
  const vpcs = new Set(change.vpcIds);
  const subnets = new Set(change.subnetIds);
  return selected.filter(
    (r) =>
      named(r) ||
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
