/**
 * Questions asked of the exposure model (pure): which ports an opening lets
 * in, whether its source is the world, whether the instance is reachable from
 * the internet. Shared by the evidence stage and the checks, which must not
 * import each other.
 */
import { containsCidr, excludeCidr } from 'cidr-tools';
import { coversAllPublic, isWorld, publicPart } from '../util/cidr.js';
import {
  ok,
  type Family,
  type InterfacePosition,
  type LoadBalancerRoute,
  type NetworkAcl,
  type NetworkEvidence,
  type Opening,
  type Result,
} from '../model.js';

/**
 * Whether these CIDRs (one family) together cover the whole public internet of that family (merged first). The
 * network ACL hop asks this (its own first-match evaluation); a security group's source set is judged by `isWorld`.
 */
export const coversInternet = (cidrs: readonly string[], family: 4 | 6): boolean => cidrs.length > 0 && coversAllPublic(cidrs, family);

const protocolCovers = (outer: string, inner: string) => outer === 'all' || outer === inner;

/**
 * Marks the CIDR openings whose source set is the world (CHECKS.md: its public
 * part, merged, holds at least half of the family's public unicast space): for
 * each opening, the union of its group's CIDRs (same family, directly or through
 * prefix lists) that open at least its ports to at least its protocol. Only an
 * opening with a public part of its own is marked (a private range beside the
 * world is not world-open). Returns the openings (marked in place).
 */
export function markInternetCover(openings: Opening[]): Opening[] {
  const verdicts = new Map<string, boolean>();
  for (const o of openings) {
    if (o.peer.kind !== 'cidr' || o.peer.prefixLength === 0) continue;
    const { family } = o.peer;
    const key = `${o.groupId}|${family}|${o.protocol}|${o.fromPort}|${o.toPort}`;
    let covers = verdicts.get(key);
    if (covers === undefined) {
      const sources = openings.flatMap((c) =>
        c.groupId === o.groupId &&
        c.peer.kind === 'cidr' &&
        c.peer.family === family &&
        protocolCovers(c.protocol, o.protocol) &&
        c.fromPort <= o.fromPort &&
        c.toPort >= o.toPort
          ? [c.peer.cidr]
          : [],
      );
      covers = isWorld(sources, family);
      verdicts.set(key, covers);
    }
    if (covers && publicPart([o.peer.cidr], family).length) o.peer.coversInternet = true;
  }
  return openings;
}

/** Whether the opening lets TCP traffic to `port` in. */
export const opensTcpPort = (o: Opening, port: number): boolean =>
  (o.protocol === 'tcp' || o.protocol === 'all') && o.fromPort <= port && port <= o.toPort;

/** The source is the world: `0.0.0.0/0`, `::/0`, or part of a set of the group's sources that is the world (`isWorld`). */
export const isWorldOpen = (o: Opening): boolean => o.peer.kind === 'cidr' && (o.peer.prefixLength === 0 || o.peer.coversInternet === true);

// ───────────────────────────── paths from the internet ─────────────────────────────

/** One hop of a path, with the id a reader can look up. */
export interface Hop {
  hop:
    | 'address'
    | 'internet-gateway'
    | 'route-table'
    | 'network-acl'
    | 'security-group'
    | 'load-balancer'
    | 'listener'
    | 'target-group'
    | 'target';
  id: string;
  detail?: string;
}

/**
 * A path from the internet to one port of the instance, as CHECKS.md
 * ("Reachable from the internet") defines it: `open` when every hop lets the
 * traffic through, `closed` at the first hop that does not (`broken` says
 * which), `unknown` when a hop could not be read (`missing` says why).
 */
export interface Path {
  state: 'open' | 'closed' | 'unknown';
  via: 'direct' | 'load-balancer';
  port: number;
  family?: Family;
  hops: Hop[];
  broken?: string;
  missing?: string;
  lb?: LoadBalancerRoute['lb'];
}

/** The ephemeral ports a client's reply goes back to (Linux, Windows and NAT devices all lie inside). */
const EPHEMERAL: [number, number] = [1024, 65535];

const aclCache = new WeakMap<NetworkAcl, Map<string, AclVerdict>>();
interface AclVerdict {
  allowed: boolean;
  rule?: number;
}

/** The public space of `family` this CIDR still decides, once the CIDRs of earlier rules are taken out. */
const undecided = (cidr: string, family: Family, decided: string[]): string[] => {
  const inPublic = publicPart([cidr], family);
  return decided.length ? excludeCidr(inPublic, decided) : inPublic;
};

/**
 * The network ACL, evaluated as AWS does (lowest rule number first, the first
 * matching rule decides, `*` denies the rest), for TCP to one port from (or,
 * egress, to) the public internet of one family: allowed when the public
 * addresses the allow rules decide together cover that family's whole public
 * space (CHECKS.md "from the world", as for security groups: `coversInternet`),
 * and by which rule (the one that completes the cover).
 */
function aclAllowsPort(acl: NetworkAcl, egress: boolean, family: Family, port: number): AclVerdict {
  const decided: string[] = [];
  const admitted: string[] = [];
  let denyRule: number | undefined;
  const entries = acl.entries
    .filter((e) => e.egress === egress && e.family === family && (e.protocol === 'all' || e.protocol === 'tcp'))
    .filter((e) => e.fromPort <= port && port <= e.toPort)
    .sort((a, b) => a.ruleNumber - b.ruleNumber);
  for (const e of entries) {
    const part = undecided(e.cidr, family, decided);
    if (!part.length) continue;
    decided.push(e.cidr);
    if (!e.allow) {
      // This rule keeps some public address out: the world is no longer admitted, whatever follows.
      denyRule ??= e.ruleNumber;
      break;
    }
    admitted.push(...part);
    if (coversInternet(admitted, family)) return { allowed: true, rule: e.ruleNumber };
  }
  return { allowed: false, ...(denyRule !== undefined ? { rule: denyRule } : {}) };
}

/**
 * The ACL for a port range: the first-match answer only changes at the rules'
 * port boundaries, so evaluating the range's ends and every boundary inside it is exact.
 */
function aclAllows(acl: NetworkAcl, egress: boolean, family: Family, [from, to]: [number, number]): AclVerdict & { port?: number } {
  const key = `${egress}|${family}|${from}|${to}`;
  let memo = aclCache.get(acl);
  if (!memo) {
    memo = new Map();
    aclCache.set(acl, memo);
  }
  const hit = memo.get(key);
  if (hit) return hit;
  const ports = new Set([from, to]);
  for (const e of acl.entries) for (const p of [e.fromPort - 1, e.fromPort, e.toPort, e.toPort + 1]) if (p >= from && p <= to) ports.add(p);
  let verdict: AclVerdict & { port?: number } = { allowed: false };
  for (const p of [...ports].sort((a, b) => a - b)) {
    const v = aclAllowsPort(acl, egress, family, p);
    if (v.allowed) {
      verdict = { ...v, port: p };
      break;
    }
    if (verdict.rule === undefined && v.rule !== undefined) verdict = v;
  }
  memo.set(key, verdict);
  return verdict;
}

const familyName = (f: Family) => (f === 4 ? 'IPv4' : 'IPv6');
const portsText = ([from, to]: [number, number]) => (from === to ? `TCP ${from}` : `TCP ${from}-${to}`);

/**
 * The direct path to ports `range` of one interface, for one family, through
 * the given world-open openings (a group's, or all of the instance's).
 */
export function directPath(pos: InterfacePosition, openings: readonly Opening[], family: Family, range: [number, number]): Path {
  const hops: Hop[] = [];
  const path = (state: Path['state'], why?: string): Path => ({
    state,
    via: 'direct',
    port: range[0],
    family,
    hops,
    ...(state === 'closed' && why ? { broken: why } : {}),
    ...(state === 'unknown' && why ? { missing: why } : {}),
  });
  const address = (family === 4 ? pos.publicIpv4 : pos.publicIpv6)[0];
  if (!address) return path('closed', `${pos.interfaceId} has no public ${familyName(family)} address`);
  hops.push({ hop: 'address', id: address, detail: pos.interfaceId });
  if (!pos.routes.ok) return path('unknown', `route table of ${pos.subnetId ?? pos.interfaceId}: ${pos.routes.reason}`);
  const r = pos.routes.value;
  const target = family === 4 ? r.default4 : r.default6;
  const dest = family === 4 ? '0.0.0.0/0' : '::/0';
  if (!target?.startsWith('igw-'))
    return path(
      'closed',
      `route table ${r.routeTableId} sends ${dest} ${target ? `to ${target}, not an internet gateway` : 'nowhere (no default route)'}`,
    );
  hops.push({ hop: 'internet-gateway', id: target });
  hops.push({ hop: 'route-table', id: r.routeTableId, detail: `${dest} → ${target}${r.main ? ' (main table)' : ''}` });
  if (!pos.acl.ok) return path('unknown', `network ACL of ${pos.subnetId ?? pos.interfaceId}: ${pos.acl.reason}`);
  const acl = pos.acl.value;
  const inbound = aclAllows(acl, false, family, range);
  if (!inbound.allowed)
    return path(
      'closed',
      `network ACL ${acl.aclId} ${inbound.rule !== undefined ? `rule ${inbound.rule} denies` : 'has no rules allowing'} ${portsText(range)} in from the whole ${familyName(family)} internet`,
    );
  const outbound = aclAllows(acl, true, family, EPHEMERAL);
  if (!outbound.allowed)
    return path(
      'closed',
      `network ACL ${acl.aclId} ${outbound.rule !== undefined ? `rule ${outbound.rule} denies` : 'has no rule allowing'} the reply out to ephemeral ports`,
    );
  hops.push({
    hop: 'network-acl',
    id: acl.aclId,
    detail: `inbound rule ${inbound.rule} allows ${portsText(range)}; outbound rule ${outbound.rule} allows ephemeral ports`,
  });
  const onPorts = openings.filter(
    (o) =>
      pos.groupIds.includes(o.groupId) && (o.protocol === 'tcp' || o.protocol === 'all') && o.fromPort <= range[1] && range[0] <= o.toPort,
  );
  const world = onPorts.find((o) => isWorldOpen(o) && o.peer.kind === 'cidr' && o.peer.family === family);
  if (world) {
    hops.push({
      hop: 'security-group',
      id: world.groupId,
      detail: `${describePorts(world)} from ${world.peer.kind === 'cidr' ? world.peer.cidr : world.source}`,
    });
    return path('open');
  }
  const unread = onPorts.find((o) => o.peer.kind === 'unresolved');
  if (unread?.peer.kind === 'unresolved') return path('unknown', `security group ${unread.groupId}: ${unread.peer.reason}`);
  return path('closed', `no security group of ${pos.interfaceId} admits ${portsText(range)} from the ${familyName(family)} internet`);
}

/** Every direct path (each interface × family) to ports `range` through these openings. */
export const directPaths = (net: NetworkEvidence, openings: readonly Opening[], range: [number, number]): Path[] =>
  (net.interfaces ?? []).flatMap((pos) => ([4, 6] as const).map((f) => directPath(pos, openings, f, range)));

/**
 * Whether an NLB's targets see the client's address (client IP preservation, target group attribute
 * `preserve_client_ip.enabled`): the attribute where it was read, else AWS's default — on for instance targets and
 * for UDP/TCP_UDP target groups (where it cannot be turned off), off for IP targets of TCP/TLS. Undefined for ALBs
 * and Classic LBs: their own nodes are the source of what reaches the targets.
 */
function clientIpPreservation(r: LoadBalancerRoute): { preserved: Result<boolean>; why: string } | undefined {
  if (r.lb.kind !== 'network') return undefined;
  // IPv6 clients of a dual-stack NLB reach IPv4 targets translated, from the NLB's own addresses: its subnets' CIDRs admit them.
  if (r.lb.dualStack && !r.target.address?.includes(':'))
    return { preserved: ok(false), why: 'dual-stack NLB: IPv6 clients reach IPv4 targets from its own addresses' };
  const tg = r.targetGroup;
  if (tg?.protocol?.includes('UDP')) return { preserved: ok(true), why: `${tg.protocol} target group` };
  if (tg?.preserveClientIp)
    return {
      preserved: tg.preserveClientIp,
      why: tg.preserveClientIp.ok ? `preserve_client_ip.enabled=${tg.preserveClientIp.value}` : tg.preserveClientIp.reason,
    };
  return r.target.kind === 'ip' ? { preserved: ok(false), why: 'IP target' } : { preserved: ok(true), why: 'instance target' };
}

/** The client-IP-preservation attribute is worth reading only where it may be turned either way (TCP/TLS NLB target groups). */
export const preservationToggles = (r: LoadBalancerRoute): boolean =>
  r.lb.kind === 'network' && !r.lb.dualStack && !!r.targetGroup && !r.targetGroup.protocol?.includes('UDP');

interface Admission {
  hop?: Hop;
  missing?: string;
  broken?: string;
}

const ruleHop = (o: Opening, note?: string): Hop => ({
  hop: 'security-group',
  id: o.groupId,
  detail: `${describePorts(o)} from ${o.peer.kind === 'cidr' ? o.peer.cidr : o.source}${note ? `; ${note}` : ''}`,
});

/**
 * Whether the instance's own groups let the load balancer's traffic in. Its clients' traffic: a rule covering the
 * internet, or one referencing the load balancer's group. Its nodes' traffic (their addresses come from its subnets):
 * a CIDR containing one of its subnets — what the targets of an ALB or Classic LB see, and of an NLB that does not
 * preserve client addresses; where an NLB does, such a rule admits its health checks only. `preserved` overrides what
 * the route says about preservation (to ask whether the attribute decides).
 */
function admitsLoadBalancer(net: NetworkEvidence, route: LoadBalancerRoute, preserved?: boolean): Admission {
  const onPort = net.openings.filter((o) => opensTcpPort(o, route.target.port));
  const cidrs = route.lb.subnetCidrs;
  const nlb = clientIpPreservation(route);
  const keeps = preserved !== undefined ? ok(preserved) : nlb?.preserved;
  const nlbNote = `NLB preserves client addresses (${nlb?.why}): only a rule covering the internet or the NLB's group admits`;
  const byClient = onPort.find((o) => isWorldOpen(o) || (o.peer.kind === 'securityGroup' && route.lb.groupIds.includes(o.peer.groupId)));
  if (byClient) return { hop: ruleHop(byClient, keeps?.ok && keeps.value ? nlbNote : undefined) };
  const unresolved = onPort.find((o) => o.peer.kind === 'unresolved');
  // With client addresses preserved, the subnets' CIDRs cannot admit internet clients: they need not be known.
  if (keeps?.ok && keeps.value) {
    if (unresolved?.peer.kind === 'unresolved') return { missing: unresolved.peer.reason };
    const health = onPort.find((o) => o.peer.kind === 'cidr' && cidrs.ok && containsAnySubnet(o, cidrs.value));
    return health
      ? { broken: `${nlbNote}; ${health.groupId} admits ${describePorts(health)} from ${health.source}: health checks only` }
      : {};
  }
  const bySubnet = cidrs.ok ? onPort.find((o) => containsAnySubnet(o, cidrs.value)) : undefined;
  if (bySubnet) {
    if (keeps && !keeps.ok)
      return {
        missing: `whether ${route.lb.name} preserves client addresses (target group ${route.targetGroup?.name}) decides whether ${bySubnet.groupId} ${describePorts(bySubnet)} from ${bySubnet.source} admits internet clients: ${keeps.reason}`,
      };
    return {
      hop: ruleHop(
        bySubnet,
        nlb ? `NLB does not preserve client addresses (${nlb.why}): its subnets' addresses are the source` : undefined,
      ),
    };
  }
  const unread = unresolved ?? onPort.find((o) => o.peer.kind === 'cidr' && !cidrs.ok);
  if (unread)
    return {
      missing: unread.peer.kind === 'unresolved' ? unread.peer.reason : `subnets of ${route.lb.name}: ${cidrs.ok ? '' : cidrs.reason}`,
    };
  return {};
}

/** The rule's CIDR contains one of the load balancer's subnets (same family). */
const containsAnySubnet = (o: Opening, subnets: readonly string[]): boolean => {
  const peer = o.peer;
  return peer.kind === 'cidr' && subnets.some((c) => c.includes(':') === (peer.family === 6) && containsCidr(peer.cidr, c));
};

/**
 * Whether any rule of the instance, on any TCP port, could let this load balancer's traffic in (or cannot be
 * judged): only then can the load balancer's targets change an answer about the instance.
 */
export const mayAdmitLoadBalancer = (openings: readonly Opening[], lb: LoadBalancerRoute['lb']): boolean =>
  openings.some(
    (o) =>
      (o.protocol === 'tcp' || o.protocol === 'all') &&
      (o.peer.kind === 'unresolved' ||
        isWorldOpen(o) ||
        (o.peer.kind === 'securityGroup' && lb.groupIds.includes(o.peer.groupId)) ||
        (o.peer.kind === 'cidr' && (!lb.subnetCidrs.ok || containsAnySubnet(o, lb.subnetCidrs.value)))),
  );

const admissionState = (a: Admission): Path['state'] => (a.hop ? 'open' : a.missing ? 'unknown' : 'closed');

/**
 * Whether the NLB's client-IP-preservation attribute decides this route's answer for this instance: the path's
 * state differs with preservation on and off (a rule admits the NLB's subnets, but neither the internet nor its group).
 */
export const preservationDecides = (net: NetworkEvidence, route: LoadBalancerRoute): boolean =>
  preservationToggles(route) &&
  admissionState(admitsLoadBalancer(net, route, true)) !== admissionState(admitsLoadBalancer(net, route, false));

const LB_KIND = { application: 'ALB', network: 'NLB', classic: 'Classic LB' } as const;

/** Paths through internet-facing load balancers to this port, plus what could not be read about them. */
export function loadBalancerPaths(net: NetworkEvidence, port: number): Path[] {
  if (!net.loadBalancers) return [];
  if (!net.loadBalancers.ok)
    return [{ state: 'unknown', via: 'load-balancer', port, hops: [], missing: `load balancers: ${net.loadBalancers.reason}` }];
  const out: Path[] = [];
  for (const r of net.loadBalancers.value.routes) {
    if (r.target.port !== port) continue;
    const hops: Hop[] = [
      { hop: 'load-balancer', id: r.lb.id, detail: `${LB_KIND[r.lb.kind]} ${r.lb.name}, internet-facing` },
      {
        hop: 'listener',
        id: r.listener.id ?? `${r.lb.name}:${r.listener.port}`,
        detail: `listener ${r.listener.protocol} ${r.listener.port}${r.admitted.ok ? `; admitted by ${typeof r.admitted.value === 'string' ? r.admitted.value : `${r.admitted.value.groupId} from ${r.admitted.value.source}`}` : ''}`,
      },
      ...(r.targetGroup
        ? [
            {
              hop: 'target-group' as const,
              id: r.targetGroup.id,
              // Rules are not read (one DescribeRules per listener): a target group attached only through a rule counts for every listener.
              detail: `target group ${r.targetGroup.name}${r.listener.viaRule ? ', attached through a listener rule; rules not read: any listener may forward' : ''}`,
            },
          ]
        : []),
      {
        hop: 'target',
        id: r.target.address ?? r.target.kind,
        detail: `TCP ${r.target.port}${r.target.health ? `, ${r.target.health}` : ''}`,
      },
    ];
    const base = { via: 'load-balancer' as const, port, hops, lb: r.lb };
    if (!r.admitted.ok) {
      out.push({ ...base, state: 'unknown', missing: r.admitted.reason });
      continue;
    }
    const inst = admitsLoadBalancer(net, r);
    if (inst.hop) out.push({ ...base, hops: [...hops, inst.hop], state: 'open' });
    else if (inst.missing) out.push({ ...base, state: 'unknown', missing: inst.missing });
    else
      out.push({
        ...base,
        state: 'closed',
        broken: inst.broken ?? `no security group of the instance admits TCP ${port} from ${r.lb.name}`,
      });
  }
  // A target group or listener that could not be read may forward here, if the instance admits the port at all.
  if (net.loadBalancers.value.unknown.length && net.openings.some((o) => opensTcpPort(o, port)))
    out.push({
      state: 'unknown',
      via: 'load-balancer',
      port,
      hops: [],
      missing: net.loadBalancers.value.unknown.map((u) => `${u.lb}: ${u.reason}`).join('; '),
    });
  return out;
}

/**
 * A path as one line for people: `54.1.2.3 (eni-…) → igw-… → rtb-… (0.0.0.0/0 → igw-…) → …`; a hop named by
 * an ARN is shown by its description (ALB influx, HTTPS 443, the target group's name), the evidence keeps the ARN.
 */
export const pathText = (p: Path): string =>
  p.hops.map((h) => (h.id.startsWith('arn:') && h.detail ? h.detail : h.id + (h.detail ? ` (${h.detail})` : ''))).join(' → ');

/** A path as evidence. */
export const pathEvidence = (p: Path): Record<string, unknown> => ({
  via: p.via,
  ...(p.family ? { family: familyName(p.family) } : {}),
  state: p.state,
  hops: p.hops,
  ...(p.broken ? { broken: p.broken } : {}),
  ...(p.missing ? { missing: p.missing } : {}),
});

/** Reachable from the internet: some complete path (direct or through a load balancer) to TCP `port`. */
export function reachability(net: NetworkEvidence, port: number): { open: Path[]; unknown: Path[] } {
  const paths = [...directPaths(net, net.openings, [port, port]), ...loadBalancerPaths(net, port)];
  return { open: paths.filter((p) => p.state === 'open'), unknown: paths.filter((p) => p.state === 'unknown') };
}

/** Text for people: `TCP 8086`, `TCP 0-65535`, `all traffic`. */
export function describePorts(o: Pick<Opening, 'protocol' | 'fromPort' | 'toPort'>): string {
  if (o.protocol === 'all') return 'all traffic';
  const range = o.fromPort === o.toPort ? `${o.fromPort}` : `${o.fromPort}-${o.toPort}`;
  return o.protocol === 'tcp' || o.protocol === 'udp' ? `${o.protocol.toUpperCase()} ${range}` : `protocol ${o.protocol}`;
}

/** The opening as evidence: what the rule says, no more. */
export function openingEvidence(o: Opening): Record<string, unknown> {
  return {
    groupId: o.groupId,
    protocol: o.protocol,
    ports: o.protocol === 'all' ? 'all' : o.fromPort === o.toPort ? `${o.fromPort}` : `${o.fromPort}-${o.toPort}`,
    source: o.peer.kind === 'cidr' ? o.peer.cidr : o.source,
    ...(o.peer.kind === 'cidr' && o.peer.viaPrefixList ? { viaPrefixList: o.peer.viaPrefixList } : {}),
    ...(o.peer.kind === 'cidr' && o.peer.coversInternet ? { coversInternet: true } : {}),
    ...(o.peer.kind === 'unresolved' ? { unresolved: o.peer.reason } : {}),
  };
}
