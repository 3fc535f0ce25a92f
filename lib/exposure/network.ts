/**
 * The exposure model: who can reach which port of an instance, from its
 * security groups' inbound rules. Prefix lists are expanded into their CIDRs;
 * a source that could not be read stays visible as `unresolved` so that checks
 * answer NOT_AVAILABLE rather than a silent pass. Pure.
 */
import type {
  Instance,
  InterfacePosition,
  NetworkEvidence,
  NetworkInventory,
  Opening,
  Protocol,
  RegionInventory,
  RegionLoadBalancerRoute,
  Result,
} from '../model.js';
import { fail, ok } from '../model.js';
import { markInternetCover } from './reach.js';
import { isGlobalIpv6, parseCidr, type Cidr } from '../util/cidr.js';
import { unique } from '../util/concurrency.js';

/** Cluster facts shared by the Enterprise nodes of one account × region, by cluster key. */
export interface ClusterFacts {
  groupIds: string[];
  hostIps: string[];
}

export function clusterFacts(instances: Instance[]): Map<string, ClusterFacts> {
  const out = new Map<string, ClusterFacts>();
  for (const i of instances) {
    if (!i.cluster) continue;
    const facts = out.get(i.cluster) ?? { groupIds: [], hostIps: [] };
    facts.groupIds = unique([...facts.groupIds, ...i.securityGroupIds]);
    facts.hostIps = unique([...facts.hostIps, ...i.privateIps, ...i.ipv6]);
    out.set(i.cluster, facts);
  }
  return out;
}

function cidrPeer(text: string, viaPrefixList?: string): Opening['peer'] {
  const c: Cidr | undefined = parseCidr(text);
  if (!c) return { kind: 'unresolved', reason: `unparseable CIDR ${JSON.stringify(text)}` };
  return { kind: 'cidr', cidr: c.text, family: c.family, prefixLength: c.prefixLength, ...(viaPrefixList ? { viaPrefixList } : {}) };
}

export function networkEvidence(
  instance: Pick<Instance, 'securityGroupIds' | 'cluster' | 'publicIps' | 'ipv6'>,
  inventory: Pick<RegionInventory, 'securityGroups' | 'prefixLists'>,
  clusters: Map<string, ClusterFacts>,
  clusterCidrs: string[],
): Result<NetworkEvidence> {
  if (!inventory.securityGroups.ok) return fail(inventory.securityGroups.reason);
  const groups = inventory.securityGroups.value;
  const openings: Opening[] = [];
  for (const groupId of instance.securityGroupIds) {
    const group = groups.get(groupId);
    if (!group) {
      openings.push({
        groupId,
        protocol: 'all',
        fromPort: 0,
        toPort: 65535,
        source: groupId,
        peer: { kind: 'unresolved', reason: `security group ${groupId} was not returned by DescribeSecurityGroups` },
      });
      continue;
    }
    for (const rule of group.inbound) {
      const base = { groupId, protocol: rule.protocol as Protocol, fromPort: rule.fromPort, toPort: rule.toPort };
      const src = rule.source;
      if (src.kind === 'cidr') {
        openings.push({ ...base, source: src.cidr, peer: cidrPeer(src.cidr) });
      } else if (src.kind === 'securityGroup') {
        openings.push({ ...base, source: src.groupId, peer: { kind: 'securityGroup', groupId: src.groupId } });
      } else {
        const entries = inventory.prefixLists.get(src.prefixListId) ?? fail(`prefix list ${src.prefixListId} was not resolved`);
        if (!entries.ok) {
          openings.push({ ...base, source: src.prefixListId, peer: { kind: 'unresolved', reason: entries.reason } });
        } else {
          for (const cidr of entries.value) openings.push({ ...base, source: src.prefixListId, peer: cidrPeer(cidr, src.prefixListId) });
        }
      }
    }
  }
  const cluster = instance.cluster ? clusters.get(instance.cluster) : undefined;
  return ok({
    openings: markInternetCover(openings),
    groupIds: instance.securityGroupIds,
    clusterGroupIds: cluster?.groupIds ?? [],
    clusterHostIps: cluster?.hostIps ?? [],
    clusterCidrs: instance.cluster ? clusterCidrs : [],
    publicIpv4: instance.publicIps,
    publicIpv6: instance.ipv6.filter(isGlobalIpv6),
  });
}

const byTarget = new WeakMap<readonly RegionLoadBalancerRoute[], Map<string, RegionLoadBalancerRoute[]>>();

/**
 * The region's load-balancer routes to this instance, indexed by target (instance id or IP address) once per region:
 * by its id, or by one of its addresses for IP targets in its VPC.
 */
function routesTo(all: readonly RegionLoadBalancerRoute[], instance: Instance): RegionLoadBalancerRoute[] {
  let index = byTarget.get(all);
  if (!index) {
    index = new Map();
    for (const r of all) index.set(r.targetId, [...(index.get(r.targetId) ?? []), r]);
    byTarget.set(all, index);
  }
  // An ECS service on bridge or host networking: its container instances' ids stand for it.
  const own = new Set([instance.instanceId, ...(instance.hostInstanceIds ?? [])]);
  const ids = unique([...own, ...instance.privateIps, ...instance.ipv6]);
  // An IP target is an address in the target group's VPC: the same private address in another VPC is another host.
  return ids
    .flatMap((id) => index.get(id) ?? [])
    .filter((r) =>
      r.target.kind === 'ip' ? !own.has(r.targetId) && r.vpcId !== undefined && r.vpcId === instance.vpcId : own.has(r.targetId),
    );
}

/** A subnet's route table or ACL from the region's maps, or why there is none. */
export const bySubnet = <T>(all: Result<Map<string, T>>, subnetId: string | undefined, what: string): Result<T> => {
  if (!all.ok) return fail(all.reason);
  const found = subnetId ? all.value.get(subnetId) : undefined;
  return found ? ok(found) : fail(`no ${what} found for ${subnetId ? `subnet ${subnetId}` : 'an interface without a subnet'}`);
};

/**
 * The instance's position for reachability: each interface's subnet, route
 * table and ACL, and the internet-facing load balancers that forward to it
 * (by instance id, or by one of its addresses for IP targets in its VPC).
 */
export function withPaths(
  net: Result<NetworkEvidence>,
  instance: Instance,
  network: NetworkInventory | undefined,
): Result<NetworkEvidence> {
  if (!net.ok || !network) return net;
  const nics = instance.interfaces.length
    ? instance.interfaces
    : [
        {
          id: instance.instanceId,
          privateIps: instance.privateIps,
          publicIps: instance.publicIps,
          ipv6: instance.ipv6,
          securityGroupIds: instance.securityGroupIds,
        },
      ];
  const interfaces = nics.map(
    (n): InterfacePosition => ({
      interfaceId: n.id,
      ...(n.subnetId ? { subnetId: n.subnetId } : {}),
      privateIps: n.privateIps,
      groupIds: n.securityGroupIds,
      publicIpv4: n.publicIps,
      publicIpv6: n.ipv6.filter(isGlobalIpv6),
      routes: bySubnet(network.routes, n.subnetId, 'route table'),
      acl: bySubnet(network.acls, n.subnetId, 'network ACL'),
    }),
  );
  const lbs = network.loadBalancers;
  const loadBalancers = lbs.ok ? ok({ routes: routesTo(lbs.value.routes, instance), unknown: lbs.value.unknown }) : fail<never>(lbs.reason);
  // Internal load balancers: for tls.load-balancer-plaintext only, never in `loadBalancers` (they are no path); a part
  // that could not be read in another VPC cannot hide this instance.
  const int = network.internalLoadBalancers;
  const internalLoadBalancers = int?.ok
    ? ok({
        routes: routesTo(int.value.routes, instance),
        unknown: int.value.unknown.filter((u) => !u.vpcId || u.vpcId === instance.vpcId).map((u) => ({ lb: u.lb, reason: u.reason })),
      })
    : int;
  return ok({ ...net.value, interfaces, loadBalancers, ...(internalLoadBalancers ? { internalLoadBalancers } : {}) });
}
