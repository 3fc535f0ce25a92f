/**
 * Questions asked of the exposure model (pure): which ports an opening lets
 * in, whether its source is the world, whether the instance is reachable from
 * the internet. Shared by the evidence stage and the checks, which must not
 * import each other.
 */
import { containsCidr, mergeCidr } from 'cidr-tools';
import { addressCount, describeSources, intersectCidrs, isWorld, parseCidr, publicPart, subtractCidrs } from '../util/cidr.js';
import {
  ok,
  type Family,
  type InterfacePosition,
  type LoadBalancerRoute,
  type NetworkAcl,
  type NetworkEvidence,
  type Opening,
  type Result,
  type SubnetRoutes,
} from '../model.js';

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
  /** The public sources still passing after this hop, where it narrowed them (bounded text). */
  passes?: string;
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
  /** Public sources that pass every hop, where some do but not the world (merged CIDRs). */
  sources?: readonly string[];
}

/** The ephemeral ports a client's reply goes back to (Linux, Windows and NAT devices all lie inside). */
const EPHEMERAL: [number, number] = [1024, 65535];

const familyName = (f: Family) => (f === 4 ? 'IPv4' : 'IPv6');
const portsText = ([from, to]: [number, number]) => (from === to ? `TCP ${from}` : `TCP ${from}-${to}`);

/**
 * What one hop does to a set of public sources of one family: the sources that pass (merged CIDRs), the hop as
 * evidence, the hop's part in a narrowed set (`network ACL acl-… rule 50`), and why nothing passes when nothing does.
 */
interface HopResult {
  passed: readonly string[];
  /** The hop as evidence (a load balancer's subnets are two: route table and ACL). */
  hop: Hop | Hop[];
  /** The rules or routes that let the passing sources through, for "only … passes …". */
  by: string;
  /** Why no source passes (when `passed` is empty). */
  blocked?: string;
  /** A part could not be read that could let more sources through: `passed` is what passes at least. */
  missing?: string;
  /** A part could not be read that could take sources away: `passed` is what passes at most (an open path is unknown). */
  unsure?: string;
}

/** A pure answer about one region-wide object (a route table, an ACL), kept while the object lives: shared by instances of a subnet. */
function memoised<O extends object, V>(memo: WeakMap<O, Map<string, V>>, on: O, key: string, compute: () => V): V {
  let answers = memo.get(on);
  if (!answers) {
    answers = new Map();
    memo.set(on, answers);
  }
  let v = answers.get(key);
  if (v === undefined) {
    v = compute();
    answers.set(key, v);
  }
  return v;
}

const routeMemo = new WeakMap<SubnetRoutes, Map<string, HopResult>>();

/**
 * The route table, per source: the reply to each source takes the longest prefix containing it (CHECKS.md:
 * `0.0.0.0/0`, or splits such as `0.0.0.0/1` + `128.0.0.0/1`); the sources whose route is an internet gateway pass.
 * A NAT gateway, an egress-only gateway, peering, Transit Gateway, a VPN (`vgw-`) or a blackhole is not a way in.
 */
const routeHop = (r: SubnetRoutes, family: Family, sources: readonly string[]): HopResult =>
  memoised(routeMemo, r, `${family}|${sources.join(',')}`, () => routeHopOnce(r, family, sources));

/** The most CIDRs of one prefix list a route hop names (the rest counted). */
const LIST_SHOWN = 4;

/**
 * The routes taking part, each once: a CIDR route as `0.0.0.0/0 → igw-…`, a prefix list's as `prefix list pl-…
 * (0.0.0.0/1, 128.0.0.0/1) → igw-…` with the CIDRs of it that took part (at most LIST_SHOWN, the rest counted).
 */
function routeNames(used: { destination: string; target: string; prefixList?: string }[], arrow: string): string[] {
  const byList = new Map<string, { head: string; target: string; cidrs: string[] }>();
  for (const x of used) {
    const key = JSON.stringify([x.prefixList ?? x.destination, x.target]);
    const entry = byList.get(key) ?? { head: x.prefixList ?? x.destination, target: x.target, cidrs: [] };
    if (x.prefixList) entry.cidrs.push(x.destination);
    byList.set(key, entry);
  }
  return [...byList.values()].map(({ head, target, cidrs }) => {
    if (!cidrs.length) return `${head}${arrow}${target}`;
    const more = cidrs.length > LIST_SHOWN ? ` and ${cidrs.length - LIST_SHOWN} more` : '';
    return `prefix list ${head} (${cidrs.slice(0, LIST_SHOWN).join(', ')}${more})${arrow}${target}`;
  });
}

/** A route's place among routes of the same length (lower first). */
const routeRank = (x: SubnetRoutes['routes'][number]): number => (x.propagated ? 2 : x.prefixList ? 1 : 0);

function routeHopOnce(r: SubnetRoutes, family: Family, sources: readonly string[]): HopResult {
  const routes = r.routes
    .filter((x) => x.family === family)
    .map((x) => ({ ...x, length: parseCidr(x.destination)?.prefixLength ?? -1 }))
    .filter((x) => x.length >= 0)
    // Longest prefix first; at the same length a static CIDR route, then a prefix list's, then a propagated one (AWS's
    // route priority: docs.aws.amazon.com/vpc/latest/userguide/route-tables-priority.html).
    .sort((x, y) => y.length - x.length || routeRank(x) - routeRank(y));
  let remaining: readonly string[] = sources;
  const passed: string[] = [];
  const used: typeof routes = [];
  const elsewhere: typeof routes = [];
  for (const x of routes) {
    if (!remaining.length) break;
    const part = intersectCidrs(remaining, [x.destination]);
    if (!part.length) continue;
    if (x.target.startsWith('igw-')) {
      passed.push(...part);
      used.push(x);
    } else if (publicPart(part, family).length) elsewhere.push(x);
    remaining = subtractCidrs(remaining, [x.destination]);
  }
  // A prefix list that could not be read: to an internet gateway it may let more sources in; elsewhere it may take
  // some away (longest prefix per source; its CIDRs are unknown).
  const unread = (r.unreadLists ?? []).map((u) => ({
    ...u,
    text: `route table ${r.routeTableId}: prefix list ${u.prefixList} (→ ${u.target}): ${u.reason}`,
  }));
  const adds = unread.find((u) => u.target.startsWith('igw-'));
  const takes = unread.find((u) => !u.target.startsWith('igw-'));
  const dest = family === 4 ? '0.0.0.0/0' : '::/0';
  const names = routeNames(used, ' → ');
  const by = `route table ${r.routeTableId} (${names.join(', ')})`;
  const result: HopResult = {
    passed: passed.length ? mergeCidr(passed) : [],
    hop: {
      hop: 'route-table',
      id: r.routeTableId,
      detail: `${names.length ? names.join(', ') : `no route to an internet gateway`}${r.main ? ' (main table)' : ''}`,
    },
    by,
    ...(passed.length
      ? {}
      : {
          blocked: `route table ${r.routeTableId} sends ${
            elsewhere.length ? `${routeNames(elsewhere, ' to ').join(', ')}, not an internet gateway` : `${dest} nowhere (no default route)`
          }`,
        }),
    ...(adds ? { missing: adds.text } : {}),
    ...(takes && passed.length ? { unsure: takes.text } : {}),
  };
  return result;
}

interface AclPass {
  passed: string[];
  /** Allow rules that let a part through, and deny rules that kept a part out. */
  allows: number[];
  denies: number[];
}

const aclMemo = new WeakMap<NetworkAcl, Map<string, AclPass>>();

/**
 * One direction of a network ACL for TCP to (or, egress, back to) one port, per source, as AWS evaluates it: lowest
 * rule number first, the first rule matching the source decides, `*` denies the rest.
 */
const aclPass = (acl: NetworkAcl, egress: boolean, family: Family, port: number, sources: readonly string[]): AclPass =>
  memoised(aclMemo, acl, `${egress}|${family}|${port}|${sources.join(',')}`, () => aclPassOnce(acl, egress, family, port, sources));

function aclPassOnce(acl: NetworkAcl, egress: boolean, family: Family, port: number, sources: readonly string[]): AclPass {
  const entries = acl.entries
    // An entry whose CIDR does not parse as this family (hostile or corrupt) matches no source.
    .filter((e) => e.egress === egress && e.family === family && parseCidr(e.cidr)?.family === family)
    .filter((e) => (e.protocol === 'all' || e.protocol === 'tcp') && e.fromPort <= port && port <= e.toPort)
    .sort((a, b) => a.ruleNumber - b.ruleNumber);
  let remaining: readonly string[] = sources;
  const out: AclPass = { passed: [], allows: [], denies: [] };
  for (const e of entries) {
    if (!remaining.length) break;
    const part = intersectCidrs(remaining, [e.cidr]);
    if (!part.length) continue;
    if (e.allow) {
      out.passed.push(...part);
      out.allows.push(e.ruleNumber);
    } else out.denies.push(e.ruleNumber);
    remaining = subtractCidrs(remaining, [e.cidr]);
  }
  if (out.passed.length) out.passed = mergeCidr(out.passed);
  return out;
}

/** The ports of `range` where a first-match answer may change (the range's ends and the rules' boundaries inside it). */
function boundaries(bounds: readonly [number, number][], [from, to]: [number, number]): number[] {
  const ports = new Set([from, to]);
  for (const [a, b] of bounds) for (const p of [a - 1, a, b, b + 1]) if (p >= from && p <= to) ports.add(p);
  return [...ports].sort((x, y) => x - y);
}

/**
 * The network ACL both ways, per source: the port in (inbound), and the reply out to the source on some port in
 * 1024-65535 (outbound; the union over the egress rules' port boundaries is exact, since a source needs only one).
 */
function aclHop(acl: NetworkAcl, family: Family, port: number, sources: readonly string[]): HopResult {
  const inbound = aclPass(acl, false, family, port, sources);
  const replies = boundaries(
    acl.entries.filter((e) => e.egress).map((e) => [e.fromPort, e.toPort]),
    EPHEMERAL,
  ).map((q) => aclPass(acl, true, family, q, inbound.passed));
  const passed = mergeCidr(replies.flatMap((r) => r.passed));
  const outAllows = [...new Set(replies.flatMap((r) => r.allows))].sort((a, b) => a - b);
  const outDenies = [...new Set(replies.flatMap((r) => r.denies))].sort((a, b) => a - b);
  const rules = (n: number[]) => `rule${n.length > 1 ? 's' : ''} ${n.join(', ')}`;
  const port1 = portsText([port, port]);
  const detail = [
    inbound.allows.length ? `inbound ${rules(inbound.allows)} allows ${port1}` : `no inbound rule allows ${port1}`,
    ...(inbound.denies.length ? [`inbound ${rules(inbound.denies)} denies part`] : []),
    outAllows.length ? `outbound ${rules(outAllows)} allows ephemeral ports` : 'no outbound rule allows ephemeral ports',
    ...(outDenies.length && passed.length < inbound.passed.length ? [`outbound ${rules(outDenies)} denies part`] : []),
  ].join('; ');
  const blocked = !inbound.passed.length
    ? `network ACL ${acl.aclId} ${inbound.denies.length ? `rule ${inbound.denies[0]} denies` : 'has no rules allowing'} ${port1} in from the ${familyName(family)} internet`
    : !passed.length
      ? `network ACL ${acl.aclId} ${outDenies.length ? `rule ${outDenies[0]} denies` : 'has no rule allowing'} the reply out to ephemeral ports`
      : undefined;
  return {
    passed,
    hop: { hop: 'network-acl', id: acl.aclId, detail },
    by: `network ACL ${acl.aclId} ${rules(inbound.allows)}`,
    ...(blocked ? { blocked } : {}),
  };
}

/** The public sources (one family) of these openings that admit TCP `port`, merged; and an unresolved one, if any. */
export function admittedSources(
  openings: readonly Opening[],
  family: Family,
  port: number,
): { sources: string[]; rules: Opening[]; unresolved?: Opening } {
  const onPort = openings.filter((o) => opensTcpPort(o, port));
  const rules = onPort.filter((o) => o.peer.kind === 'cidr' && o.peer.family === family);
  const cidrs = rules.flatMap((o) => (o.peer.kind === 'cidr' ? [o.peer.cidr] : []));
  const unresolved = onPort.find((o) => o.peer.kind === 'unresolved');
  return { sources: cidrs.length ? mergeCidr(cidrs) : [], rules, ...(unresolved ? { unresolved } : {}) };
}

/** The security groups' hop: the sources their rules on the port admit. */
function groupHop(
  openings: readonly Opening[],
  family: Family,
  port: number,
  sources: readonly string[],
  who: string,
): HopResult & { missing?: string } {
  const admitted = admittedSources(openings, family, port);
  const passed = intersectCidrs(sources, admitted.sources);
  const reaches = publicPart(passed, family).length > 0;
  const useful = admitted.rules.filter((o) => o.peer.kind === 'cidr' && intersectCidrs(passed, [o.peer.cidr]).length);
  const first = useful[0] ?? admitted.rules[0];
  const text = useful.map((o) => `${o.groupId} ${describePorts(o)} from ${o.peer.kind === 'cidr' ? o.peer.cidr : o.source}`);
  return {
    passed,
    hop: {
      hop: 'security-group',
      id: first?.groupId ?? who,
      detail: useful.length ? text.map((t) => t.slice(t.indexOf(' ') + 1)).join(', ') : `nothing on ${portsText([port, port])}`,
    },
    by: `security group ${text.join(', ')}`,
    ...(reaches
      ? {}
      : { blocked: `no security group of ${who} admits ${portsText([port, port])} from the ${familyName(family)} internet` }),
    ...(admitted.unresolved?.peer.kind === 'unresolved'
      ? { missing: `security group ${admitted.unresolved.groupId}: ${admitted.unresolved.peer.reason}` }
      : {}),
  };
}

/** One hop of a path: what it does to the sources reaching it, or why that could not be read. */
type Step = (sources: readonly string[]) => (HopResult & { missing?: string }) | { missing: string };

/** A hop that lets every source through (a listener, a target group), kept as evidence. */
const passing =
  (hop: Hop): Step =>
  (s) => ({ passed: s, hop, by: '' });

/**
 * Hops in order over the family's public sources: the path is `open` when the sources passing every hop are the
 * world (CHECKS.md `isWorld`); else `closed`, naming the sources that pass and the hops that narrowed them
 * ("only 52.94.76.0/24 passes network ACL acl-… rule 50"), or the hop that stops every source.
 */
function throughHops(
  family: Family,
  start: readonly string[],
  steps: Step[],
): { state: Path['state']; hops: Hop[]; passed: readonly string[]; broken?: string; missing?: string } {
  let sources: readonly string[] = start;
  const hops: Hop[] = [];
  const narrowed: string[] = [];
  let missing: string | undefined;
  // A hop that may let fewer sources through than it says: an open path is unknown, a closed one stays closed.
  let unsure: string | undefined;
  for (const step of steps) {
    const r = step(sources);
    if (!('hop' in r)) return { state: 'unknown', hops, passed: sources, missing: r.missing };
    if (r.missing && !isWorld(r.passed, family)) missing ??= r.missing;
    if (r.unsure) unsure ??= r.unsure;
    if (r.blocked || !publicPart(r.passed, family).length) {
      const broken = r.blocked ?? `no public source passes ${r.by}`;
      return missing ? { state: 'unknown', hops, passed: [], missing } : { state: 'closed', hops, passed: [], broken };
    }
    const cut = addressCount(publicPart(r.passed, family)) < addressCount(publicPart(sources, family));
    const list = Array.isArray(r.hop) ? r.hop : [r.hop];
    hops.push(...list.slice(0, -1), ...list.slice(-1).map((h) => (cut ? { ...h, passes: describeSources(r.passed, family) } : h)));
    if (cut && !isWorld(r.passed, family)) narrowed.push(r.by);
    sources = r.passed;
  }
  if (isWorld(sources, family))
    return unsure ? { state: 'unknown', hops, passed: sources, missing: unsure } : { state: 'open', hops, passed: sources };
  if (missing) return { state: 'unknown', hops, passed: sources, missing };
  return {
    state: 'closed',
    hops,
    passed: sources,
    broken: `only ${describeSources(sources, family)} pass${narrowed.length ? `es ${narrowed.join(' and ')}` : 'es'}: not the world`,
  };
}

/**
 * The direct path to ports `range` of one interface, for one family, through the given openings (a group's, or
 * all of the instance's): the public sources of the family → the subnet's routes → its ACL both ways → the
 * interface's groups. A port range is reachable when some port of it is (the rules' port boundaries are exact).
 */
export function directPath(pos: InterfacePosition, openings: readonly Opening[], family: Family, range: [number, number]): Path {
  const base = { via: 'direct' as const, port: range[0], family };
  const address = (family === 4 ? pos.publicIpv4 : pos.publicIpv6)[0];
  if (!address) return { ...base, state: 'closed', hops: [], broken: `${pos.interfaceId} has no public ${familyName(family)} address` };
  const addressHop: Hop = { hop: 'address', id: address, detail: pos.interfaceId };
  if (!pos.routes.ok)
    return {
      ...base,
      state: 'unknown',
      hops: [addressHop],
      missing: `route table of ${pos.subnetId ?? pos.interfaceId}: ${pos.routes.reason}`,
    };
  const routes = pos.routes.value;
  const mine = openings.filter((o) => pos.groupIds.includes(o.groupId) && (o.protocol === 'tcp' || o.protocol === 'all'));
  const acl = pos.acl;
  const ports = boundaries(
    [
      ...(acl.ok ? acl.value.entries.filter((e) => !e.egress).map((e): [number, number] => [e.fromPort, e.toPort]) : []),
      ...mine.map((o): [number, number] => [o.fromPort, o.toPort]),
    ],
    range,
  );
  let best: Path | undefined;
  for (const port of ports) {
    const r = throughHops(
      family,
      [ANY[family]],
      [
        (s) => routeHop(routes, family, s),
        (s) =>
          acl.ok ? aclHop(acl.value, family, port, s) : { missing: `network ACL of ${pos.subnetId ?? pos.interfaceId}: ${acl.reason}` },
        (s) => groupHop(mine, family, port, s, pos.interfaceId),
      ],
    );
    const gateways = [...new Set(routes.routes.filter((x) => x.family === family && x.target.startsWith('igw-')).map((x) => x.target))];
    const hops: Hop[] = [
      addressHop,
      ...(r.hops.length ? gateways.slice(0, 1).map((id): Hop => ({ hop: 'internet-gateway', id })) : []),
      ...r.hops,
    ];
    const path: Path = {
      ...base,
      port,
      state: r.state,
      hops,
      ...(r.broken ? { broken: r.broken } : {}),
      ...(r.missing ? { missing: r.missing } : {}),
      ...(r.passed.length && r.state !== 'open' ? { sources: r.passed } : {}),
    };
    if (path.state === 'open') return path;
    if (!best || rank(path) > rank(best)) best = path;
  }
  return best!;
}

/** Every source of a family; non-public space is carried along (rules read as written) and never counts (`isWorld`). */
const ANY = { 4: '0.0.0.0/0', 6: '::/0' } as const;

/** Which of two broken paths to show: unknown over closed, then the one letting more sources through. */
const rank = (p: Path): number => (p.state === 'unknown' ? 2 ** 130 : 0) + Number(addressCount(p.sources ?? []));

/** Every direct path (each interface × family) to ports `range` through these openings. */
export const directPaths = (net: NetworkEvidence, openings: readonly Opening[], range: [number, number]): Path[] =>
  (net.interfaces ?? []).flatMap((pos) => ([4, 6] as const).map((f) => directPath(pos, openings, f, range)));

/**
 * Whether an NLB's targets see the client's address (client IP preservation, target group attribute
 * `preserve_client_ip.enabled`): the attribute where it was read, else AWS's default — on for instance targets and
 * for UDP/TCP_UDP target groups (where it cannot be turned off), off for IP targets of TCP/TLS. Undefined for ALBs
 * and Classic LBs: their own nodes are the source of what reaches the targets.
 */
function clientIpPreservation(r: LoadBalancerRoute, family?: Family): { preserved: Result<boolean>; why: string } | undefined {
  if (r.lb.kind !== 'network') return undefined;
  // IPv6 clients of a dual-stack NLB reach IPv4 targets translated, from the NLB's own addresses: its subnets' CIDRs
  // admit them. Asked for a family, only IPv6 clients are translated; asked for none, any client may be.
  if (r.lb.dualStack && family !== 4 && !r.target.address?.includes(':'))
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

/**
 * The load balancer's own subnets (CHECKS.md: its own path, by the same hops): what passes each subnet's route table
 * and ACL on the listener port, together (its nodes sit in every subnet; a client may pick any). A load balancer in
 * subnets without a route to an internet gateway is not a way in, whatever its scheme says.
 */
function lbSubnetsStep(lb: LoadBalancerRoute['lb'], family: Family, port: number): Step {
  return (sources) => {
    if (!lb.subnets.length) return { missing: `no subnets listed for ${lb.name}` };
    const each = lb.subnets.map((sub) => ({
      sub,
      r: throughHops(family, sources, [
        (s) =>
          sub.routes.ok
            ? routeHop(sub.routes.value, family, s)
            : { missing: `route table of ${lb.name}'s subnet ${sub.subnetId}: ${sub.routes.reason}` },
        (s) =>
          sub.acl.ok
            ? aclHop(sub.acl.value, family, port, s)
            : { missing: `network ACL of ${lb.name}'s subnet ${sub.subnetId}: ${sub.acl.reason}` },
      ]),
    }));
    const through = each.filter((e) => e.r.state !== 'unknown' && e.r.passed.length);
    const passed = through.length ? mergeCidr(through.flatMap((e) => e.r.passed)) : [];
    const best = [...through].sort((x, y) => Number(addressCount(y.r.passed) - addressCount(x.r.passed)))[0] ?? each[0]!;
    const missing = each.find((e) => e.r.state === 'unknown')?.r.missing;
    const named = (h: Hop): Hop => ({ ...h, detail: `${lb.name} subnet ${best.sub.subnetId}: ${h.detail ?? ''}` });
    return {
      passed,
      hop: best.r.hops.map(named),
      by: `${lb.name}'s subnets (${through.map((e) => e.sub.subnetId).join(', ')})`,
      ...(passed.length ? {} : { blocked: `${lb.name}: ${[...new Set(each.map((e) => e.r.broken).filter(Boolean))].join('; ')}` }),
      ...(missing ? { missing } : {}),
    };
  };
}

/**
 * The listener, narrowed by what its rules leave to the action forwarding to the target group: the forwarding rules'
 * `source-ip` conditions, a rule matching every request before it (`shadowed`), a weight of 0 (`unused`). Rules that
 * could not be read, where the default action forwards here, may take clients away: an open path is unknown.
 */
function listenerStep(r: LoadBalancerRoute, family: Family): Step {
  const l = r.listener;
  const narrowing = [...(l.shadowed ?? []), ...(l.unused ?? [])];
  const hop: Hop = {
    hop: 'listener',
    id: l.id ?? `${r.lb.name}:${l.port}`,
    detail: [
      `listener ${l.protocol} ${l.port}`,
      ...(l.rules
        ? [
            `rule ${l.rules.join(', ')} forwards to the target group${l.sources && !narrowing.length ? ` from ${l.sources.join(', ')} (source-ip)` : ''}`,
          ]
        : []),
      ...narrowing,
    ].join('; '),
  };
  const unsure = l.rulesUnread ? { unsure: `rules of listener ${l.port} of ${r.lb.name}: ${l.rulesUnread}` } : {};
  if (!l.sources) return (s) => ({ passed: s, hop, by: '', ...unsure });
  const allowed = l.sources;
  return (s) => {
    const passed = intersectCidrs(
      s,
      allowed.filter((c) => parseCidr(c)?.family === family),
    );
    const why = narrowing.length ? narrowing.join('; ') : `its rules forward only from ${allowed.join(', ')}`;
    return {
      passed,
      hop,
      by: narrowing.length ? `listener ${l.port} (${narrowing.join('; ')})` : `listener ${l.port} rule ${l.rules?.join(', ')} (source-ip)`,
      ...(passed.length ? {} : { blocked: `listener ${l.port}: ${why}` }),
      ...unsure,
    };
  };
}

/** Whether any client reaches the target group through the route's listener (not every rule or weight keeps it from them). */
export const forwardsClients = (r: LoadBalancerRoute): boolean => r.listener.sources?.length !== 0;

/** The interface of the instance a load balancer's target is: the one holding an IP target's address, else the first. */
const targetInterface = (net: NetworkEvidence, r: LoadBalancerRoute): InterfacePosition | undefined =>
  (r.target.address ? net.interfaces?.find((i) => i.privateIps?.includes(r.target.address!)) : undefined) ?? net.interfaces?.[0];

/**
 * The instance's side where client addresses are preserved (NLB): the public sources themselves must pass its
 * subnet's ACL (the port in, the reply out) and its groups — a rule's CIDRs, or a rule referencing the NLB's group
 * (every source the NLB lets through).
 */
function preservedSteps(net: NetworkEvidence, r: LoadBalancerRoute, family: Family, why: string): Step[] {
  const pos = targetInterface(net, r);
  const port = r.target.port;
  const note = `NLB preserves client addresses (${why})`;
  const acl: Step[] = pos
    ? [
        (s) =>
          pos.acl.ok
            ? aclHop(pos.acl.value, family, port, s)
            : { missing: `network ACL of ${pos.subnetId ?? pos.interfaceId}: ${pos.acl.reason}` },
      ]
    : [];
  return [
    ...acl,
    (s) => {
      const byGroup = net.openings.find(
        (o) => opensTcpPort(o, port) && o.peer.kind === 'securityGroup' && r.lb.groupIds.includes(o.peer.groupId),
      );
      if (byGroup) return { passed: s, hop: ruleHop(byGroup, note), by: `${byGroup.groupId} (${byGroup.source})` };
      const g = groupHop(net.openings, family, port, s, 'the instance');
      const hop = Array.isArray(g.hop) ? g.hop : [g.hop];
      // A rule admitting only the NLB's subnets admits its health checks, not its clients: say so where it is all there is.
      const health = net.openings.find((o) => opensTcpPort(o, port) && r.lb.subnetCidrs.ok && containsAnySubnet(o, r.lb.subnetCidrs.value));
      const blocked =
        g.blocked && health
          ? `${note}: only a rule covering the internet or the NLB's group admits; ${health.groupId} admits ${describePorts(health)} from ${health.source}: health checks only`
          : g.blocked;
      return { ...g, hop: hop.map((h) => ({ ...h, detail: `${h.detail}; ${note}` })), ...(blocked ? { blocked } : {}) };
    },
  ];
}

/**
 * The instance's side where the load balancer's own nodes are the source (ALB, Classic LB, an NLB not preserving
 * client addresses): its subnet's ACL lets some address of the load balancer's subnets in (and the reply out), and
 * its groups admit the load balancer (its group, or a CIDR containing one of its subnets).
 */
function nodeSteps(net: NetworkEvidence, r: LoadBalancerRoute): Step[] {
  const pos = targetInterface(net, r);
  const port = r.target.port;
  const acl: Step[] =
    pos && r.lb.subnetCidrs.ok
      ? [
          (s) => {
            if (!pos.acl.ok) return { missing: `network ACL of ${pos.subnetId ?? pos.interfaceId}: ${pos.acl.reason}` };
            const cidrs = r.lb.subnetCidrs.ok ? r.lb.subnetCidrs.value : [];
            const fam: Family = r.target.address?.includes(':') ? 6 : 4;
            const nodes = aclHop(
              pos.acl.value,
              fam,
              port,
              cidrs.filter((c) => parseCidr(c)?.family === fam),
            );
            const hop = Array.isArray(nodes.hop) ? nodes.hop : [nodes.hop];
            return nodes.passed.length
              ? { passed: s, hop: hop.map((h) => ({ ...h, detail: `from ${r.lb.name}'s subnets: ${h.detail}` })), by: '' }
              : {
                  passed: [],
                  hop: nodes.hop,
                  by: '',
                  blocked: `network ACL ${pos.acl.value.aclId} does not let ${r.lb.name}'s subnets (${cidrs.join(', ')}) reach TCP ${port}`,
                };
          },
        ]
      : [];
  return [
    ...acl,
    (s) => {
      const a = admitsLoadBalancer(net, r, false);
      if (a.hop) return { passed: s, hop: a.hop, by: '' };
      if (a.missing) return { missing: a.missing };
      return {
        passed: [],
        hop: { hop: 'security-group', id: 'instance' },
        by: '',
        blocked: a.broken ?? `no security group of the instance admits TCP ${port} from ${r.lb.name}`,
      };
    },
  ];
}

/** One route through a load balancer, for one family of its clients, with client addresses preserved or not. */
function lbPath(net: NetworkEvidence, r: LoadBalancerRoute, family: Family, port: number): Path {
  const base = { via: 'load-balancer' as const, port, family, lb: r.lb };
  const lbHop: Hop = { hop: 'load-balancer', id: r.lb.id, detail: `${LB_KIND[r.lb.kind]} ${r.lb.name}, internet-facing` };
  const own: Step[] = [
    lbSubnetsStep(r.lb, family, r.listener.port),
    ...(r.lb.openings ? [(s: readonly string[]) => groupHop(r.lb.openings!, family, r.listener.port, s, r.lb.name)] : []),
    listenerStep(r, family),
    ...(r.targetGroup ? [passing({ hop: 'target-group', id: r.targetGroup.id, detail: `target group ${r.targetGroup.name}` })] : []),
    passing({
      hop: 'target',
      id: r.target.address ?? r.target.kind,
      detail: `TCP ${r.target.port}${r.target.health ? `, ${r.target.health}` : ''}`,
    }),
  ];
  const run = (preserved: boolean, why: string): Path => {
    const t = throughHops(family, [ANY[family]], [...own, ...(preserved ? preservedSteps(net, r, family, why) : nodeSteps(net, r))]);
    return {
      ...base,
      state: t.state,
      hops: [lbHop, ...t.hops],
      ...(t.broken ? { broken: t.broken } : {}),
      ...(t.missing ? { missing: t.missing } : {}),
      ...(t.passed.length && t.state !== 'open' ? { sources: t.passed } : {}),
    };
  };
  const nlb = clientIpPreservation(r, family);
  if (!nlb) return run(false, '');
  if (nlb.preserved.ok) return run(nlb.preserved.value, nlb.why);
  // The attribute could not be read: the answer stands where it does not decide it.
  const on = run(true, 'if preserved');
  const off = run(false, '');
  return on.state === off.state
    ? on
    : {
        ...base,
        state: 'unknown',
        hops: [lbHop],
        missing: `whether ${r.lb.name} preserves client addresses (target group ${r.targetGroup?.name}) decides the path: ${nlb.preserved.reason}`,
      };
}

/** Paths through internet-facing load balancers to this port, plus what could not be read about them. */
export function loadBalancerPaths(net: NetworkEvidence, port: number): Path[] {
  if (!net.loadBalancers) return [];
  if (!net.loadBalancers.ok)
    return [{ state: 'unknown', via: 'load-balancer', port, hops: [], missing: `load balancers: ${net.loadBalancers.reason}` }];
  const out: Path[] = [];
  for (const r of net.loadBalancers.value.routes) {
    if (r.target.port !== port) continue;
    if (!r.admitted.ok) {
      out.push({ state: 'unknown', via: 'load-balancer', port, hops: [], lb: r.lb, missing: r.admitted.reason });
      continue;
    }
    const families: Family[] = r.lb.dualStack ? [4, 6] : [4];
    const paths = families.map((f) => lbPath(net, r, f, port));
    out.push(
      paths.find((p) => p.state === 'open') ?? paths.find((p) => p.state === 'unknown') ?? paths.sort((x, y) => rank(y) - rank(x))[0]!,
    );
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
  ...(p.sources
    ? {
        sources: p.sources.slice(0, SOURCES_SHOWN),
        ...(p.sources.length > SOURCES_SHOWN ? { moreSources: p.sources.length - SOURCES_SHOWN } : {}),
      }
    : {}),
});

/** The most CIDRs of a narrowed source set a path's evidence lists (the rest counted). */
const SOURCES_SHOWN = 16;

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
