/**
 * Discovery of what lies between the internet and the region's instances:
 * route tables, network ACLs, the subnets of load balancers, and internet-facing
 * Application, Network and Classic Load Balancers with their listeners, target
 * groups and targets. Each is read once per region, paginated: calls grow with
 * pages and with internet-facing load balancers (their listeners) and their
 * target groups (their targets), never with instances. Internal ALBs and
 * Classic LBs in a scanned instance's VPC are read the same way for one check
 * only (tls.load-balancer-plaintext: their plain-HTTP listeners), kept apart
 * from the paths (they are not the internet); internal NLBs cost no call beyond
 * the listing. Every part that could not be read is kept as its reason, for
 * exactly the answers it could change.
 */
import {
  paginateDescribeNetworkAcls,
  paginateDescribeRouteTables,
  paginateDescribeSubnets,
  type EC2Client,
  type NetworkAcl as Ec2NetworkAcl,
  type Route,
  type RouteTable,
} from '@aws-sdk/client-ec2';
import {
  paginateDescribeLoadBalancers as paginateClassic,
  type ElasticLoadBalancingClient,
  type LoadBalancerDescription,
} from '@aws-sdk/client-elastic-load-balancing';
import {
  DescribeTargetGroupAttributesCommand,
  DescribeTargetHealthCommand,
  paginateDescribeListeners,
  paginateDescribeLoadBalancers,
  paginateDescribeRules,
  paginateDescribeTargetGroups,
  type Action,
  type ElasticLoadBalancingV2Client,
  type Listener,
  type Rule,
  type LoadBalancer,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { toAwsCallError } from '../errors.js';
import {
  fail,
  ok,
  type AclEntry,
  type Family,
  type LoadBalancerEvidence,
  type LoadBalancerKind,
  type NetworkAcl,
  type NetworkInventory,
  type Opening,
  type RegionInventory,
  type RegionLoadBalancerRoute,
  type Result,
  type SubnetRoutes,
} from '../model.js';
import {
  admittedSources,
  isWorldOpen,
  mayAdmitLoadBalancer,
  openingEvidence,
  preservationDecides,
  preservationToggles,
} from '../exposure/reach.js';
import { chunk, mapLimit, unique } from '../util/concurrency.js';
import { FILTER_VALUES_MAX, normaliseProtocol, readPrefixLists } from './ec2.js';
import { bySubnet, networkEvidence, withPaths } from '../exposure/network.js';
import { intersectCidrs, isWorld, parseCidr, subtractCidrs } from '../util/cidr.js';
import { mergeCidr } from 'cidr-tools';

export interface NetworkClients {
  ec2: EC2Client;
  elbv2: ElasticLoadBalancingV2Client;
  elb: ElasticLoadBalancingClient;
}

/** Calls in flight per region for the per-load-balancer and per-target-group reads. */
const CONCURRENCY = 4;
/** The largest page each describe allows. */
const ELB_PAGE = 400;

async function pages<P, T>(service: string, operation: string, it: AsyncIterable<P>, pick: (p: P) => T[] | undefined): Promise<T[]> {
  const out: T[] = [];
  try {
    for await (const p of it) out.push(...(pick(p) ?? []));
  } catch (err) {
    throw toAwsCallError(service, operation, err);
  }
  return out;
}

async function attempt<T>(fn: () => Promise<T>): Promise<Result<T>> {
  try {
    return ok(await fn());
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
}

/** Describe by a filter of up to 200 values a call (EC2's limit), every page. */
const byFilter = <P, T>(
  name: string,
  values: string[],
  operation: string,
  page: (filter: { Name: string; Values: string[] }) => AsyncIterable<P>,
  pick: (p: P) => T[] | undefined,
): Promise<T[]> =>
  Promise.all(chunk(values, FILTER_VALUES_MAX).map((v) => pages('ec2', operation, page({ Name: name, Values: v }), pick))).then((r) =>
    r.flat(),
  );

// ───────────────────────────── route tables and ACLs ─────────────────────────────

/** What a route sends traffic to: `igw-…`, `nat-…`, `pcx-…`, `tgw-…`, `vgw-…`, `eigw-…`, `eni-…`; `blackhole` when inactive. */
function routeTarget(r: Route): string {
  if (r.State === 'blackhole') return 'blackhole';
  return (
    r.GatewayId ??
    r.NatGatewayId ??
    r.TransitGatewayId ??
    r.VpcPeeringConnectionId ??
    r.EgressOnlyInternetGatewayId ??
    r.NetworkInterfaceId ??
    r.InstanceId ??
    r.LocalGatewayId ??
    r.CarrierGatewayId ??
    r.CoreNetworkArn ??
    'unknown'
  );
}

/** A managed prefix list id as AWS writes them (`pl-` and hexadecimal). */
const PREFIX_LIST_ID = /^pl-[0-9a-f]{1,32}$/;

/** The most CIDRs of one prefix list a route is read as (AWS's own limit for a list's entries is 1,000). */
const LIST_ENTRIES_MAX = 1000;

/**
 * A route table's routes: CIDR destinations, and a route to a managed prefix list as one route per CIDR of the list
 * (`prefixList` naming it: a customer's list to an internet gateway, an AWS-managed one to a gateway endpoint), or,
 * where the list could not be read, kept apart with the reason (`unreadLists`).
 */
function subnetRoutes(t: RouteTable, main: boolean, lists: ReadonlyMap<string, Result<string[]>>): SubnetRoutes {
  const unreadLists: NonNullable<SubnetRoutes['unreadLists']> = [];
  const routes = (t.Routes ?? []).flatMap((r): SubnetRoutes['routes'] => {
    const target = routeTarget(r);
    const destination = r.DestinationCidrBlock ?? r.DestinationIpv6CidrBlock;
    // A route a virtual private gateway propagates yields, at the same length, to a static route and a prefix list's.
    const propagated = r.Origin === 'EnableVgwRoutePropagation' ? { propagated: true as const } : {};
    if (destination) return [{ destination, family: r.DestinationCidrBlock ? 4 : 6, target, ...propagated }];
    const list = r.DestinationPrefixListId;
    if (!list) return [];
    // AWS's answer is hostile text: the id is echoed only in its own shape, the entries only as parsed CIDRs.
    const named = PREFIX_LIST_ID.test(list) ? list : 'pl-?';
    const entries = lists.get(list) ?? fail(`prefix list ${named} was not read`);
    if (!entries.ok) {
      unreadLists.push({ prefixList: named, target, reason: entries.reason });
      return [];
    }
    return entries.value.slice(0, LIST_ENTRIES_MAX).flatMap((c) => {
      const cidr = parseCidr(c);
      return cidr ? [{ destination: cidr.text, family: cidr.family, target, prefixList: named, ...propagated }] : [];
    });
  });
  return { routeTableId: t.RouteTableId ?? '', main, routes, ...(unreadLists.length ? { unreadLists } : {}) };
}

/** Each subnet's table: its explicit association, else its VPC's main table. */
function tablesBySubnet(tables: RouteTable[], subnets: Map<string, string | undefined>): Map<string, { table: RouteTable; main: boolean }> {
  const explicit = new Map<string, RouteTable>();
  const mainOf = new Map<string, RouteTable>();
  for (const t of tables)
    for (const a of t.Associations ?? []) {
      if (a.SubnetId) explicit.set(a.SubnetId, t);
      if (a.Main && t.VpcId) mainOf.set(t.VpcId, t);
    }
  const out = new Map<string, { table: RouteTable; main: boolean }>();
  for (const [subnetId, vpcId] of subnets) {
    const t = explicit.get(subnetId);
    const main = vpcId ? mainOf.get(vpcId) : undefined;
    if (t) out.set(subnetId, { table: t, main: false });
    else if (main) out.set(subnetId, { table: main, main: true });
  }
  return out;
}

/** The prefix lists the routes of these tables name (each once). */
const routeLists = (tables: Iterable<{ table: RouteTable }>): string[] =>
  unique(
    [...tables].flatMap(({ table }) => (table.Routes ?? []).flatMap((r) => (r.DestinationPrefixListId ? [r.DestinationPrefixListId] : []))),
  );

/** Each subnet's routes (`tablesBySubnet`, or the tables already matched), prefix-list routes read through `lists`. */
export function routesBySubnet(
  tables: RouteTable[] | Map<string, { table: RouteTable; main: boolean }>,
  subnets: Map<string, string | undefined>,
  lists: ReadonlyMap<string, Result<string[]>> = new Map(),
): Map<string, SubnetRoutes> {
  const out = new Map<string, SubnetRoutes>();
  // One SubnetRoutes per table, shared by its subnets (the reachability model memoises its answers per table).
  const made = new Map<RouteTable, [SubnetRoutes?, SubnetRoutes?]>();
  for (const [subnetId, { table, main }] of Array.isArray(tables) ? tablesBySubnet(tables, subnets) : tables) {
    const pair = made.get(table) ?? [];
    made.set(table, pair);
    const routes = pair[Number(main)] ?? subnetRoutes(table, main, lists);
    pair[Number(main)] = routes;
    out.set(subnetId, routes);
  }
  return out;
}

function aclEntries(a: Ec2NetworkAcl): AclEntry[] {
  return (a.Entries ?? []).flatMap((e): AclEntry[] => {
    const cidr = e.CidrBlock ?? e.Ipv6CidrBlock;
    if (!cidr || e.RuleNumber === undefined) return [];
    const protocol = normaliseProtocol(e.Protocol ?? '-1');
    const ported = (protocol === 'tcp' || protocol === 'udp') && e.PortRange?.From !== undefined;
    return [
      {
        ruleNumber: e.RuleNumber,
        egress: e.Egress === true,
        allow: e.RuleAction === 'allow',
        protocol,
        fromPort: ported ? e.PortRange!.From! : 0,
        toPort: ported ? (e.PortRange!.To ?? e.PortRange!.From!) : 65535,
        cidr,
        family: (e.CidrBlock ? 4 : 6) as Family,
      },
    ];
  });
}

/** Each subnet's ACL: its association (AWS lists every subnet's), else its VPC's default ACL. */
export function aclsBySubnet(acls: Ec2NetworkAcl[], subnets: Map<string, string | undefined>): Map<string, NetworkAcl> {
  const bySubnet = new Map<string, Ec2NetworkAcl>();
  const defaultOf = new Map<string, Ec2NetworkAcl>();
  for (const a of acls) {
    for (const s of a.Associations ?? []) if (s.SubnetId) bySubnet.set(s.SubnetId, a);
    if (a.IsDefault && a.VpcId) defaultOf.set(a.VpcId, a);
  }
  const out = new Map<string, NetworkAcl>();
  for (const [subnetId, vpcId] of subnets) {
    const a = bySubnet.get(subnetId) ?? (vpcId ? defaultOf.get(vpcId) : undefined);
    if (a) out.set(subnetId, { aclId: a.NetworkAclId ?? '', entries: aclEntries(a) });
  }
  return out;
}

// ───────────────────────────── load balancers ─────────────────────────────

/** One load balancer, its listeners and what each forwards to, as read. */
interface Balancer {
  kind: LoadBalancerKind;
  /** Internal: read only for tls.load-balancer-plaintext, never a path. */
  internal?: true;
  id: string;
  name: string;
  vpcId?: string;
  groupIds: string[];
  subnetIds: string[];
  families: Family[];
  listeners: {
    id?: string;
    port: number;
    protocol: string;
    /** Target group ARNs of its default action (ALB/NLB), or the Classic backend port. */
    targetGroups: string[];
    /** Its default actions as read (ALB/NLB): their weights, where its rules are not read. */
    defaultActions?: Action[];
    instancePort?: number;
  }[];
  /**
   * Target groups that listener rules may reach: any listener of the load balancer that does not name them in its
   * default action (an ALB's: one listener's default action may be shadowed while another's rule forwards there; an
   * NLB's listeners have no rules, only its groups no default action names).
   */
  ruleGroups: string[];
  /** Classic: registered instances. */
  instances: string[];
}

const forwardedGroups = (l: Listener): string[] =>
  unique(
    (l.DefaultActions ?? []).flatMap((a) =>
      a.Type === 'forward' ? [a.TargetGroupArn, ...(a.ForwardConfig?.TargetGroups ?? []).map((t) => t.TargetGroupArn)] : [],
    ),
  ).filter((x): x is string => !!x);

const v2Kind = (lb: LoadBalancer): LoadBalancerKind | undefined =>
  lb.Type === 'application' ? 'application' : lb.Type === 'network' ? 'network' : undefined;

type InternalUnknown = LoadBalancerEvidence['unknown'][number] & { vpcId?: string };

interface ElbRead {
  /** Internet-facing ALBs and NLBs, their listeners not read yet. */
  balancers: Balancer[];
  /** Internal ALBs in a scanned instance's VPC, their listeners not read yet. */
  internal: Balancer[];
  targetGroups: Map<string, TargetGroup>;
  unknown: LoadBalancerEvidence['unknown'];
}

const V2 = 'Application and Network Load Balancers';

/** ALBs and NLBs, and Classic Load Balancers, as listed region-wide (each listing read once, side by side). */
export interface BalancerListing {
  v2: Result<LoadBalancer[]>;
  targetGroups: Result<TargetGroup[]>;
  classic: Result<LoadBalancerDescription[]>;
}

/**
 * The region's load balancers: every ALB/NLB, every target group and every Classic Load Balancer, one paginated
 * listing each. Read before the region's security groups, so that one describe reads the internet-facing ones' own
 * groups with the subjects' (`facingGroupIds`); what each forwards to is read later (`discoverNetwork`).
 */
export async function listBalancers({ elbv2, elb }: Omit<NetworkClients, 'ec2'>): Promise<BalancerListing> {
  const list = <P, T>(operation: string, it: AsyncIterable<P>, pick: (p: P) => T[] | undefined) =>
    attempt(() => pages('elasticloadbalancing', operation, it, pick));
  const [v2, targetGroups, classic] = await Promise.all([
    list('DescribeLoadBalancers', paginateDescribeLoadBalancers({ client: elbv2, pageSize: ELB_PAGE }, {}), (p) => p.LoadBalancers),
    list('DescribeTargetGroups', paginateDescribeTargetGroups({ client: elbv2, pageSize: ELB_PAGE }, {}), (p) => p.TargetGroups),
    list('DescribeLoadBalancers', paginateClassic({ client: elb, pageSize: ELB_PAGE }, {}), (p) => p.LoadBalancerDescriptions),
  ]);
  return { v2, targetGroups, classic };
}

/**
 * The internet-facing load balancers' own groups (internal ones' are not read: they admit no one from the internet,
 * and whether a scanned instance admits them is judged by their group ids and subnets, `mayAdmitLoadBalancer`).
 */
export const facingGroupIds = (l: BalancerListing): string[] => [
  ...(l.v2.ok ? l.v2.value.filter((lb) => lb.Scheme === 'internet-facing' && v2Kind(lb)).flatMap((lb) => lb.SecurityGroups ?? []) : []),
  ...(l.classic.ok ? l.classic.value.filter((lb) => lb.Scheme === 'internet-facing').flatMap((lb) => lb.SecurityGroups ?? []) : []),
];

/** ALBs and NLBs that can matter to the scanned VPCs, from the region's listing. */
function elbv2Read(l: BalancerListing, vpcIds: ReadonlySet<string>): ElbRead {
  const none = (unknown: ElbRead['unknown']): ElbRead => ({ balancers: [], internal: [], targetGroups: new Map(), unknown });
  if (!l.v2.ok) return none([{ lb: V2, reason: l.v2.reason }]);
  const facing = l.v2.value.filter((lb) => lb.Scheme === 'internet-facing' && v2Kind(lb) && lb.LoadBalancerArn);
  // Internal: only ALBs (an NLB's TCP listener passes the instance's own TLS through: tls.disabled judges it) that can
  // forward to a scanned instance (a target group, and so its targets, is in its load balancer's VPC).
  const internal = l.v2.value.filter(
    (lb) => lb.Scheme === 'internal' && lb.Type === 'application' && lb.LoadBalancerArn && lb.VpcId && vpcIds.has(lb.VpcId),
  );
  if (!facing.length && !internal.length) return none([]);
  // Without the target groups no route can be built: the listeners would be read for nothing.
  if (!l.targetGroups.ok) return none([{ lb: V2, reason: l.targetGroups.reason }]);
  const balancer = (lb: LoadBalancer): Balancer => ({
    kind: v2Kind(lb)!,
    id: lb.LoadBalancerArn!,
    name: lb.LoadBalancerName ?? lb.LoadBalancerArn!,
    ...(lb.VpcId ? { vpcId: lb.VpcId } : {}),
    groupIds: lb.SecurityGroups ?? [],
    subnetIds: (lb.AvailabilityZones ?? []).map((z) => z.SubnetId).filter((x): x is string => !!x),
    families: lb.IpAddressType === 'ipv4' || !lb.IpAddressType ? [4] : [4, 6],
    listeners: [],
    ruleGroups: [],
    instances: [],
  });
  return {
    balancers: facing.map(balancer),
    internal: internal.map((lb) => ({ ...balancer(lb), internal: true as const })),
    targetGroups: new Map(l.targetGroups.value.map((g) => [g.TargetGroupArn!, g])),
    unknown: [],
  };
}

const hasTargets = (g: TargetGroup | undefined): boolean => g?.TargetType === 'instance' || g?.TargetType === 'ip';

/**
 * The listeners of the ALBs/NLBs that can matter, one DescribeListeners each (ELBv2 has no batch read): not of a
 * load balancer without an instance or IP target group (a listener forwards only to target groups attached to it,
 * and each lists its load balancers), nor of an internet-facing one whose groups admit no TCP port at all from the
 * internet. An internal one keeps only its plain-HTTP listeners (all tls.load-balancer-plaintext asks of it).
 */
async function readListeners(
  elbv2: ElasticLoadBalancingV2Client,
  read: ElbRead,
  groups: Pick<RegionInventory, 'securityGroups' | 'prefixLists'>,
  note: Note,
): Promise<Balancer[]> {
  const attached = (b: Balancer) => [...read.targetGroups.values()].filter((g) => g.LoadBalancerArns?.includes(b.id));
  const wanted = [...read.balancers, ...read.internal].filter(
    (b) => attached(b).some(hasTargets) && (b.internal || admitsAnyPort(b, groups)),
  );
  const listeners = await mapLimit(wanted, CONCURRENCY, (b) =>
    attempt(() =>
      pages(
        'elasticloadbalancing',
        'DescribeListeners',
        paginateDescribeListeners({ client: elbv2, pageSize: ELB_PAGE }, { LoadBalancerArn: b.id }),
        (p) => p.Listeners,
      ),
    ),
  );
  return wanted.flatMap((b, i): Balancer[] => {
    const ls = listeners[i]!;
    if (!ls.ok) {
      note(b, ls.reason, b.vpcId);
      return [];
    }
    const forwarded = new Set(ls.value.flatMap(forwardedGroups));
    return [
      {
        ...b,
        listeners: ls.value
          .filter((l) => l.Port !== undefined && l.Protocol !== 'UDP' && (!b.internal || isPlain(l.Protocol)))
          .map((l) => ({
            id: l.ListenerArn,
            port: l.Port!,
            protocol: l.Protocol ?? 'TCP',
            targetGroups: forwardedGroups(l),
            defaultActions: l.DefaultActions ?? [],
          })),
        ruleGroups: attached(b)
          .filter((g) => b.kind === 'application' || !forwarded.has(g.TargetGroupArn!))
          .map((g) => g.TargetGroupArn!),
      },
    ];
  });
}

const isPlain = (protocol: string | undefined) => protocol?.toUpperCase() === 'HTTP';

/**
 * Classic Load Balancers: one paginated listing has listeners, backends and registered instances. The internet-facing
 * ones, and the internal ones in a scanned instance's VPC with their plain-HTTP listeners only (no call is added).
 */
function classicRead(all: BalancerListing['classic'], vpcIds: ReadonlySet<string>): Result<Balancer[]> {
  if (!all.ok) return all;
  return ok(
    all.value
      .filter(
        (lb) => lb.LoadBalancerName && (lb.Scheme === 'internet-facing' || (lb.Scheme === 'internal' && lb.VPCId && vpcIds.has(lb.VPCId))),
      )
      .map((lb) => ({
        kind: 'classic' as const,
        ...(lb.Scheme === 'internal' ? { internal: true as const } : {}),
        id: lb.LoadBalancerName!,
        name: lb.LoadBalancerName!,
        ...(lb.VPCId ? { vpcId: lb.VPCId } : {}),
        groupIds: lb.SecurityGroups ?? [],
        subnetIds: lb.Subnets ?? [],
        families: [4] as Family[],
        listeners: (lb.ListenerDescriptions ?? [])
          .map((d) => d.Listener)
          .filter(
            (l) => l?.LoadBalancerPort !== undefined && l.InstancePort !== undefined && (lb.Scheme !== 'internal' || isPlain(l.Protocol)),
          )
          .map((l) => ({ port: l!.LoadBalancerPort!, protocol: l!.Protocol ?? 'TCP', targetGroups: [], instancePort: l!.InstancePort! })),
        ruleGroups: [],
        instances: (lb.Instances ?? []).map((i) => i.InstanceId).filter((x): x is string => !!x),
      })),
  );
}

/** Keeps a part that could not be read, with the load balancer's VPC when internal (it can hide only that VPC's instances). */
type Note = (lb: { name: string; internal?: true }, reason: string, vpcId?: string) => void;

/** An internal load balancer's `admitted`: it is kept apart from the paths, and says why. */
const INTERNAL = 'internal load balancer: not a way in from the internet';

/** Whether the load balancer's groups could admit some TCP port from the internet (or could not be judged). */
function admitsAnyPort(b: Balancer, groups: Pick<RegionInventory, 'securityGroups' | 'prefixLists'>): boolean {
  if (!b.groupIds.length) return true;
  const net = networkEvidence({ securityGroupIds: b.groupIds, publicIps: [], ipv6: [] }, groups, new Map(), []);
  return (
    !net.ok ||
    net.value.openings.some(
      (o) =>
        (o.protocol === 'tcp' || o.protocol === 'all') &&
        (o.peer.kind === 'unresolved' || (isWorldOpen(o) && o.peer.kind === 'cidr' && b.families.includes(o.peer.family))),
    )
  );
}

/** Whether the load balancer's groups admit the listener port from the internet: the rule, or `no security groups`. */
function admission(
  b: Balancer,
  port: number,
  groups: Pick<RegionInventory, 'securityGroups' | 'prefixLists'>,
): Result<Record<string, unknown> | string> | undefined {
  if (!b.groupIds.length) return ok('no security groups');
  const net = networkEvidence({ securityGroupIds: b.groupIds, publicIps: [], ipv6: [] }, groups, new Map(), []);
  if (!net.ok) return fail(`the security groups of ${b.name}: ${net.reason}`);
  // The sources of all its groups' rules on the port together (CHECKS.md: the world); the hops before them are judged with the path.
  const admitted = b.families.map((family) => ({ family, ...admittedSources(net.value.openings, family, port) }));
  const world = admitted.find((a) => isWorld(a.sources, a.family));
  if (world) return ok(openingEvidence(world.rules.find(isWorldOpen) ?? world.rules[0]!));
  const unread = admitted.find((a) => a.unresolved)?.unresolved;
  return unread?.peer.kind === 'unresolved' ? fail(`the security groups of ${b.name}: ${unread.peer.reason}`) : undefined;
}

/**
 * Everything between the internet and the region's instances (every kind's subjects with paths, as instances).
 * Route tables and ACLs are read for the instances' VPCs; the load balancers come listed region-wide
 * (`listBalancers`), their own groups read with the region's (`inv.securityGroups`).
 */
export async function discoverNetwork(clients: NetworkClients, inv: RegionInventory, listing: BalancerListing): Promise<NetworkInventory> {
  const subnets = new Map<string, string | undefined>();
  for (const i of inv.instances) for (const n of i.interfaces) if (n.subnetId) subnets.set(n.subnetId, i.vpcId);
  const vpcIds = unique(inv.instances.flatMap((i) => (i.vpcId ? [i.vpcId] : [])));
  const inVpcs = new Set(vpcIds);
  const { ec2 } = clients;
  const v2 = elbv2Read(listing, inVpcs);
  const classic = classicRead(listing.classic, inVpcs);
  const listed = [...v2.balancers, ...v2.internal, ...(classic.ok ? classic.value : [])];
  // The load balancers' own subnets are judged like the instances' (their routes and ACLs: CHECKS.md, a load balancer's
  // own path). A load balancer forwarding to a scanned instance sits in that instance's VPC (ALB/NLB target groups and
  // Classic backends are in the load balancer's VPC; IP targets are matched in their target group's VPC only), so the
  // tables read for the instances' VPCs hold its subnets' too: no call is added.
  for (const b of listed) for (const id of b.subnetIds) if (!subnets.has(id)) subnets.set(id, b.vpcId);
  const [tables, acls, lbSubnets] = await Promise.all([
    attempt(() =>
      byFilter(
        'vpc-id',
        vpcIds,
        'DescribeRouteTables',
        (f) => paginateDescribeRouteTables({ client: ec2, pageSize: 100 }, { Filters: [f] }),
        (p) => p.RouteTables,
      ),
    ),
    attempt(() =>
      byFilter(
        'vpc-id',
        vpcIds,
        'DescribeNetworkAcls',
        (f) => paginateDescribeNetworkAcls({ client: ec2, pageSize: 100 }, { Filters: [f] }),
        (p) => p.NetworkAcls,
      ),
    ),
    attempt(async () => {
      const ids = unique(listed.flatMap((b) => b.subnetIds));
      const found = ids.length
        ? await byFilter(
            'subnet-id',
            ids,
            'DescribeSubnets',
            (f) => paginateDescribeSubnets({ client: ec2, pageSize: 1000 }, { Filters: [f] }),
            (p) => p.Subnets,
          )
        : [];
      return new Map(found.map((s) => [s.SubnetId!, [s.CidrBlock, ...(s.Ipv6CidrBlockAssociationSet ?? []).map((a) => a.Ipv6CidrBlock)]]));
    }),
  ]);
  // Routes to managed prefix lists: each list once per region, none read twice (the groups' lists are in `inv`).
  const lists = new Map(inv.prefixLists);
  const matched = tables.ok ? tablesBySubnet(tables.value, subnets) : undefined;
  if (matched) {
    const wanted = routeLists(matched.values()).filter((id) => !lists.has(id));
    for (const [id, entries] of await readPrefixLists(ec2, wanted)) lists.set(id, entries);
  }
  const routeMap: Result<Map<string, SubnetRoutes>> = tables.ok ? ok(routesBySubnet(matched!, subnets, lists)) : fail(tables.reason);
  const aclMap: Result<Map<string, NetworkAcl>> = acls.ok ? ok(aclsBySubnet(acls.value, subnets)) : fail(acls.reason);

  const unknown = [...v2.unknown, ...(classic.ok ? [] : [{ lb: 'Classic Load Balancers', reason: classic.reason }])];
  // A listing that failed hides internal load balancers too, in any VPC.
  const internalUnknown: InternalUnknown[] = [...unknown];
  const note: Note = (lb, reason, vpcId) =>
    lb.internal ? internalUnknown.push({ lb: lb.name, reason, ...(vpcId ? { vpcId } : {}) }) : unknown.push({ lb: lb.name, reason });
  const balancers = [...(await readListeners(clients.elbv2, v2, inv, note)), ...(classic.ok ? classic.value : [])];

  // Targets are read only where a path could reach them: a target group of an internet-facing load balancer whose
  // listener is admitted from the internet (or could not be judged); or behind an internal one's plain-HTTP listener.
  const routes: RegionLoadBalancerRoute[] = [];
  const refs = new Map(
    balancers.map((b) => {
      const subnetCidrs: Result<string[]> = lbSubnets.ok
        ? ok(b.subnetIds.flatMap((s) => (lbSubnets.value.get(s) ?? []).filter((c): c is string => !!c)))
        : fail(lbSubnets.reason);
      const own =
        b.groupIds.length && !b.internal
          ? networkEvidence({ securityGroupIds: b.groupIds, publicIps: [], ipv6: [] }, inv, new Map(), [])
          : undefined;
      return [
        b,
        {
          kind: b.kind,
          id: b.id,
          name: b.name,
          groupIds: b.groupIds,
          ...(b.internal ? { internal: true as const } : {}),
          subnetCidrs,
          ...(b.families.includes(6) ? { dualStack: true as const } : {}),
          subnets: b.subnetIds.map((subnetId) => ({
            subnetId,
            routes: bySubnet(routeMap, subnetId, 'route table'),
            acl: bySubnet(aclMap, subnetId, 'network ACL'),
          })),
          // Groups that could not be read leave `admitted` failed: the path is unknown before these are asked.
          ...(own ? { openings: own.ok ? own.value.openings : [] } : {}),
        },
      ] as const;
    }),
  );
  const wanted = new Map<
    string,
    { b: Balancer; listener: RegionLoadBalancerRoute['listener']; admitted: RegionLoadBalancerRoute['admitted'] }[]
  >();
  for (const b of balancers) {
    for (const l of b.listeners) {
      const admitted = b.internal ? ok(INTERNAL) : admission(b, l.port, inv);
      if (!admitted) continue; // closed: the load balancer's groups do not admit this listener from the internet
      const listener = { ...(l.id ? { id: l.id } : {}), port: l.port, protocol: l.protocol };
      if (b.kind === 'classic')
        for (const id of b.instances)
          routes.push({ lb: refs.get(b)!, listener, target: { port: l.instancePort!, kind: 'backend' }, admitted, targetId: id });
      for (const tg of l.targetGroups) wanted.set(tg, [...(wanted.get(tg) ?? []), { b, listener, admitted }]);
      // Attached through listener rules: which rules of which listener forward there is read below, once a selected
      // instance is among its targets (`rules: []` until then).
      for (const tg of b.ruleGroups)
        if (!l.targetGroups.includes(tg))
          wanted.set(tg, [...(wanted.get(tg) ?? []), { b, listener: { ...listener, rules: [] }, admitted }]);
    }
  }
  // Nor where no scanned instance of the target group's VPC has a rule that could admit its load balancer on any port.
  const openingsIn = instanceOpenings(inv);
  const tgArns = [...wanted.keys()].filter((arn) => {
    const tg = v2.targetGroups.get(arn);
    if (!hasTargets(tg)) return false;
    const inVpc = openingsIn(tg!.VpcId);
    return !inVpc || wanted.get(arn)!.some((u) => inVpc.some((o) => mayAdmitLoadBalancer(o, refs.get(u.b)!)));
  });
  const health = await mapLimit(tgArns, CONCURRENCY, (arn) =>
    send(
      'DescribeTargetHealth',
      async () => (await clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }))).TargetHealthDescriptions ?? [],
    ),
  );
  tgArns.forEach((arn, i) => {
    const tg = v2.targetGroups.get(arn)!;
    const targets = health[i]!;
    const uses = wanted.get(arn)!;
    if (!targets.ok) {
      for (const b of new Set(uses.map((x) => x.b)))
        note(b, `targets of target group ${tg.TargetGroupName ?? arn}: ${targets.reason}`, tg.VpcId);
      return;
    }
    for (const t of targets.value) {
      if (!t.Target?.Id) continue;
      const port = t.Target.Port ?? tg.Port;
      if (port === undefined) continue;
      for (const u of uses) {
        routes.push({
          lb: refs.get(u.b)!,
          listener: u.listener,
          targetGroup: { id: arn, name: tg.TargetGroupName ?? arn, ...(tg.Protocol ? { protocol: tg.Protocol } : {}) },
          target: {
            port,
            kind: tg.TargetType === 'ip' ? 'ip' : 'instance',
            ...(tg.TargetType === 'ip' ? { address: t.Target.Id } : {}),
            ...(t.TargetHealth?.State ? { health: t.TargetHealth.State } : {}),
          },
          admitted: u.admitted,
          targetId: t.Target.Id,
          ...(tg.VpcId ? { vpcId: tg.VpcId } : {}),
        });
      }
    }
  });

  const defaults = new Map(
    balancers.flatMap((b) => b.listeners.flatMap((l) => (l.id && l.defaultActions ? [[l.id, l.defaultActions] as const] : []))),
  );
  const ruled = await withListenerRules(clients.elbv2, routes, inv, note, defaults);
  return {
    routes: routeMap,
    acls: aclMap,
    loadBalancers: ok({
      routes: await withClientIpPreservation(
        clients.elbv2,
        ruled.filter((r) => !r.lb.internal),
        inv,
      ),
      unknown,
    }),
    internalLoadBalancers: ok({ routes: ruled.filter((r) => r.lb.internal), unknown: internalUnknown }),
  };
}

/** Whether a route's target is a scanned instance: by id, or (IP targets) by a private address in the target group's VPC. */
function targetsSelected(inv: RegionInventory): (r: RegionLoadBalancerRoute) => boolean {
  const ids = new Set(inv.instances.flatMap((i) => [i.instanceId, ...(i.hostInstanceIds ?? [])]));
  const addresses = new Set(inv.instances.flatMap((i) => [...i.privateIps, ...i.ipv6].map((ip) => `${i.vpcId}|${ip}`)));
  return (r) => (r.target.kind === 'ip' ? addresses.has(`${r.vpcId}|${r.targetId}`) : ids.has(r.targetId));
}

/** The CIDRs a rule's `source-ip` conditions admit (conditions AND, values OR), or undefined when it has none. */
function ruleSources(rule: Rule): string[] | undefined {
  const sets = (rule.Conditions ?? [])
    .filter((c) => c.Field === 'source-ip')
    // AWS's answer is hostile text: only what parses as a CIDR is kept, in canonical form.
    .map((c) => (c.SourceIpConfig?.Values ?? c.Values ?? []).flatMap((v) => parseCidr(v)?.text ?? []));
  if (!sets.length) return undefined;
  const byFamily = (f: Family) =>
    sets.reduce<readonly string[] | undefined>((acc, set) => {
      const mine = set.filter((c) => parseCidr(c)!.family === f);
      if (acc === undefined) return mine.length ? mergeCidr(mine) : [];
      return intersectCidrs(acc, mine);
    }, undefined) ?? [];
  return [...byFamily(4), ...byFamily(6)];
}

/**
 * The weight with which these actions forward to the target group: undefined when no forward action names it. A weight
 * of 0 beside a group with a weight sends it nothing, unless the forward's target-group stickiness is on (a client whose
 * cookie names the group is still sent there: stickiness takes precedence over weights); a forward whose groups all
 * weigh 0 is taken as forwarding to each (AWS does not document it: never a pass on a guess). Absent weights are 1
 * (AWS's default).
 */
function forwardWeight(actions: Action[] | undefined, arn: string): number | undefined {
  let weight: number | undefined;
  for (const a of actions ?? []) {
    if (a.Type !== 'forward') continue;
    const groups = a.ForwardConfig?.TargetGroups ?? [];
    const toEach =
      (groups.length > 0 && groups.every((g) => (g.Weight ?? 1) === 0)) || a.ForwardConfig?.TargetGroupStickinessConfig?.Enabled === true;
    for (const g of groups) if (g.TargetGroupArn === arn) weight = Math.max(weight ?? 0, toEach ? 1 : (g.Weight ?? 1));
    if (a.TargetGroupArn === arn && !groups.some((g) => g.TargetGroupArn === arn)) weight = Math.max(weight ?? 0, 1);
  }
  return weight;
}

/** A path pattern matching every path (`*` matches any characters, a path starts with `/`): `*`, `/*`, `/**`. */
const MATCH_ALL_PATH = /^\/?\*+$/;

/**
 * Whether the rule provably matches every request (from its `source-ip` sources): each of its other conditions is a
 * `path-pattern` with a match-all value. Conservative: a host, header, method, query or regex condition may leave some
 * request to the rules after it (the attacker picks the request), and so never shadows them.
 */
function matchesEveryRequest(rule: Rule): boolean {
  if (rule.IsDefault) return true;
  const conditions = rule.Conditions ?? [];
  return (
    conditions.length > 0 &&
    conditions.every(
      (c) =>
        c.Field === 'source-ip' ||
        (c.Field === 'path-pattern' &&
          !c.PathPatternConfig?.RegexValues?.length &&
          (c.PathPatternConfig?.Values ?? c.Values ?? []).some((v) => MATCH_ALL_PATH.test(v))),
    )
  );
}

/** Whether a rule's actions end the request (a forward, redirect or fixed response): else what it does is not read. */
const answersItself = (rule: Rule): boolean =>
  (rule.Actions ?? []).some((a) => a.Type === 'forward' || a.Type === 'redirect' || a.Type === 'fixed-response');

/** Every source of both families (what a listener's clients may be). */
const EVERY_SOURCE = ['0.0.0.0/0', '::/0'];

/** A rule's priority as a number (`default` and anything unparsable: undefined). */
const priorityOf = (rule: Rule): number | undefined => (/^\d{1,5}$/.test(rule.Priority ?? '') ? Number(rule.Priority) : undefined);

/** A rule as evidence: `priority 5`, `default` (AWS's name for the default action), `?` when unparsable (never echoed). */
const ruleName = (rule: Rule): string => (rule.IsDefault ? 'default' : `priority ${priorityOf(rule) ?? '?'}`);

/** The sources a listener hop lists (bounded). */
const sourcesText = (cidrs: readonly string[]): string =>
  `${cidrs.slice(0, 4).join(', ')}${cidrs.length > 4 ? ` and ${cidrs.length - 4} more` : ''}`;

/** The condition that makes a rule match every request: its match-all path pattern (safe to echo), else its sources alone. */
const matchAllCondition = (rule: Rule): string => {
  const pattern = (rule.Conditions ?? [])
    .flatMap((c) => (c.Field === 'path-pattern' ? (c.PathPatternConfig?.Values ?? c.Values ?? []) : []))
    .find((v) => MATCH_ALL_PATH.test(v));
  return pattern ? `path-pattern ${pattern}` : 'source-ip only';
};

/** What a rule matching every request does with it: its last action's type (a fixed word, else `?`). */
const answerOf = (rule: Rule): string => {
  const type = rule.Actions?.at(-1)?.Type ?? '';
  return /^[a-z-]{1,32}$/.test(type) ? type : '?';
};

/**
 * What an ALB listener's rules (in priority order, the default action last) leave to the actions forwarding to one
 * target group: the rules that forward there (a weight above 0), the sources that reach them (their `source-ip`
 * conditions, less what a rule matching every request answered before: `shadowed` names it), and the actions naming
 * it with weight 0 (`unused`). Undefined when no action names the target group (no path). Without a rule that
 * narrows, only the default action forwarding there: nothing to add (every source).
 */
export function forwardingOf(rules: readonly Rule[], arn: string): Partial<RegionLoadBalancerRoute['listener']> | undefined {
  const ordered = [...rules].sort(
    (x, y) => (x.IsDefault ? 1 : 0) - (y.IsDefault ? 1 : 0) || (priorityOf(x) ?? 1e6) - (priorityOf(y) ?? 1e6),
  );
  let remaining: readonly string[] = EVERY_SOURCE;
  const answeredBefore: { name: string; sources: readonly string[]; here: boolean }[] = [];
  const reached: string[] = [];
  const names: string[] = [];
  const shadowed = new Set<string>();
  const unused: string[] = [];
  let named = false;
  let everySource = false;
  for (const rule of ordered) {
    // An unparsable priority has no known place: it forwards from its own sources, and shadows nothing.
    const placed = rule.IsDefault || priorityOf(rule) !== undefined;
    const own = rule.IsDefault ? undefined : ruleSources(rule);
    const before = placed ? remaining : EVERY_SOURCE;
    const reach = own ? intersectCidrs(before, own) : before;
    const weight = forwardWeight(rule.Actions, arn);
    if (weight !== undefined) {
      named = true;
      const what = rule.IsDefault ? 'the default action' : `rule ${ruleName(rule)}`;
      if (weight === 0) unused.push(`weight 0 in ${what}`);
      else {
        if (placed)
          for (const a of answeredBefore) if (!a.here && intersectCidrs(own ?? EVERY_SOURCE, a.sources).length) shadowed.add(a.name);
        if (reach.length) {
          reached.push(...reach);
          names.push(ruleName(rule));
          if (!own && before === EVERY_SOURCE) everySource = true;
        }
      }
    }
    if (placed && !rule.IsDefault && matchesEveryRequest(rule) && answersItself(rule)) {
      const took = own ? intersectCidrs(remaining, own) : remaining;
      if (took.length) {
        const from = own ? ` from ${sourcesText(own)}` : '';
        answeredBefore.push({
          name: `rule ${ruleName(rule)} (${matchAllCondition(rule)}) answers every request${from} first (${answerOf(rule)})`,
          sources: took,
          here: !!weight,
        });
      }
      remaining = own ? subtractCidrs(remaining, own) : [];
    }
  }
  if (!named) return undefined;
  const onlyDefault = names.length === 1 && names[0] === 'default';
  return {
    ...(onlyDefault || !names.length ? {} : { rules: names }),
    ...(everySource && !shadowed.size ? {} : { sources: reached.length ? mergeSources([reached]) : [] }),
    ...(shadowed.size ? { shadowed: [...shadowed] } : {}),
    ...(unused.length ? { unused } : {}),
  };
}

/** A listener's default actions as its one rule (where its rules are not read: an NLB's, or an ALB's that could not be). */
const defaultRule = (actions: Action[] | undefined): Rule => ({
  IsDefault: true,
  Priority: 'default',
  Actions: actions ?? [],
  Conditions: [],
});

/**
 * ALB listener rules: one DescribeRules per listener (paginated), only of ALB listeners with a route to a scanned
 * instance (by a rule or the default action). What reaches each target group is `forwardingOf` the rules: a rule
 * whose action forwards there is a path from that listener (its path, host, header, method or query conditions are
 * the attacker's to meet), narrowed by its `source-ip` condition; a rule matching every request takes the clients
 * of the rules after it and of the default action; weight 0 sends nothing. A listener none of whose actions names the
 * target group is no path to it. Rules that could not be read leave a rule-attached target group unknown (never a
 * pass), and the default action's route unsure (an open path is unknown). An NLB's listener has no rules: its default
 * action's weights alone.
 */
async function withListenerRules(
  elbv2: ElasticLoadBalancingV2Client,
  routes: RegionLoadBalancerRoute[],
  inv: RegionInventory,
  note: Note,
  defaults: ReadonlyMap<string, Action[]>,
): Promise<RegionLoadBalancerRoute[]> {
  const selected = targetsSelected(inv);
  const asked = routes.filter((r) => r.lb.kind === 'application' && r.listener.id && selected(r));
  const listeners = unique(asked.map((r) => r.listener.id!));
  const read = await mapLimit(listeners, CONCURRENCY, (arn) =>
    attempt(() =>
      pages(
        'elasticloadbalancing',
        'DescribeRules',
        paginateDescribeRules({ client: elbv2, pageSize: ELB_PAGE }, { ListenerArn: arn }),
        (p) => p.Rules,
      ),
    ),
  );
  const rulesOf = new Map(listeners.map((arn, i) => [arn, read[i]!] as const));
  const failed = new Set<string>();
  const shaped = (r: RegionLoadBalancerRoute, rules: readonly Rule[], extra: Partial<RegionLoadBalancerRoute['listener']> = {}) => {
    const f = forwardingOf(rules, r.targetGroup!.id);
    if (!f) return [];
    const { rules: _placeholder, ...listener } = r.listener;
    return [{ ...r, listener: { ...listener, ...f, ...extra } }];
  };
  return routes.flatMap((r): RegionLoadBalancerRoute[] => {
    const viaRules = !!r.listener.rules;
    if (!r.targetGroup || !r.listener.id) return [r];
    const rules = rulesOf.get(r.listener.id);
    if (!rules) {
      if (viaRules) return []; // not a scanned instance's route: nobody asks
      return shaped(r, [defaultRule(defaults.get(r.listener.id))]);
    }
    if (!rules.ok) {
      // The default action forwarding there: a rule may take its clients (unsure). Weighing it 0, or not naming it: a
      // rule may forward there instead, as for a rule-attached group (unknown).
      const byDefault = forwardingOf([defaultRule(defaults.get(r.listener.id))], r.targetGroup.id);
      if (!viaRules && byDefault?.sources?.length !== 0)
        return shaped(r, [defaultRule(defaults.get(r.listener.id))], { rulesUnread: rules.reason });
      if (!failed.has(r.lb.id)) note(r.lb, `rules of listener ${r.listener.port}: ${rules.reason}`, r.vpcId);
      failed.add(r.lb.id);
      return [];
    }
    return shaped(r, rules.value);
  });
}

const mergeSources = (sets: string[][]): string[] => {
  const all = sets.flat();
  const v4 = all.filter((c) => parseCidr(c)?.family === 4);
  const v6 = all.filter((c) => parseCidr(c)?.family === 6);
  return [...(v4.length ? mergeCidr(v4) : []), ...(v6.length ? mergeCidr(v6) : [])];
};

/** The scanned instances' inbound rules by VPC, computed once; undefined when some could not be derived (assume any). */
function instanceOpenings(inv: RegionInventory): (vpcId: string | undefined) => Opening[][] | undefined {
  let byVpc: Map<string | undefined, Opening[][]> | null | undefined;
  const build = () => {
    const out = new Map<string | undefined, Opening[][]>();
    for (const i of inv.instances) {
      const net = networkEvidence(i, inv, new Map(), []);
      if (!net.ok) return null;
      const list = out.get(i.vpcId) ?? [];
      list.push(net.value.openings);
      out.set(i.vpcId, list);
    }
    return out;
  };
  return (vpcId) => {
    if (byVpc === undefined) byVpc = build();
    return byVpc ? (byVpc.get(vpcId) ?? []) : undefined;
  };
}

/** One ELBv2 call, its failure named by service and operation. */
async function send<T>(operation: string, fn: () => Promise<T>): Promise<Result<T>> {
  return attempt(async () => {
    try {
      return await fn();
    } catch (err) {
      throw toAwsCallError('elasticloadbalancing', operation, err);
    }
  });
}

/**
 * NLB routes with the target group's `preserve_client_ip.enabled` where it decides an answer: a scanned instance
 * among its targets admits the NLB's subnets but neither the internet nor the NLB's group (`preservationDecides`,
 * the same pure judgement the checks make). Elsewhere the attribute cannot change any answer and is not read: one
 * DescribeTargetGroupAttributes per such target group, none in an estate whose NLB targets admit by group or world.
 */
async function withClientIpPreservation(
  elbv2: ElasticLoadBalancingV2Client,
  routes: RegionLoadBalancerRoute[],
  inv: RegionInventory,
): Promise<RegionLoadBalancerRoute[]> {
  const candidates = routes.filter(preservationToggles);
  if (!candidates.length) return routes;
  const targets = new Set(candidates.map((r) => r.targetId));
  const only = { routes: ok(new Map()), acls: ok(new Map()), loadBalancers: ok({ routes: candidates, unknown: [] }) };
  const decisive = new Set<string>();
  for (const i of inv.instances) {
    if (![i.instanceId, ...i.privateIps, ...i.ipv6].some((id) => targets.has(id))) continue;
    const net = withPaths(networkEvidence(i, inv, new Map(), []), i, only);
    if (!net.ok || !net.value.loadBalancers?.ok) continue;
    for (const r of net.value.loadBalancers.value.routes) if (preservationDecides(net.value, r)) decisive.add(r.targetGroup!.id);
  }
  if (!decisive.size) return routes;
  const arns = [...decisive];
  const read = await mapLimit(arns, CONCURRENCY, (arn) =>
    send('DescribeTargetGroupAttributes', async () => {
      const attrs = (await elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }))).Attributes ?? [];
      const value = attrs.find((a) => a.Key === 'preserve_client_ip.enabled')?.Value;
      return value === undefined ? undefined : value === 'true';
    }),
  );
  const byArn = new Map(arns.map((arn, i) => [arn, read[i]!] as const));
  return routes.map((r) => {
    const got = r.targetGroup ? byArn.get(r.targetGroup.id) : undefined;
    // Read without the key (an emulator's answer): AWS's default for the target type applies, as if not read.
    if (!got || (got.ok && got.value === undefined)) return r;
    return { ...r, targetGroup: { ...r.targetGroup!, preserveClientIp: got.ok ? ok(got.value!) : fail(got.reason) } };
  });
}
