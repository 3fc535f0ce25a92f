/**
 * The port-exposure family: one engine over a port table. Each row names the
 * TCP ports it judges, the nodes it applies to, and how it judges one source;
 * `net.unexpected-ports-open` derives its exclusions from the same table, so
 * a port is judged by exactly one rule.
 */
import type { AllowedPort, CheckMeta, Instance, InstanceEvidence, InstanceCheck, NetworkEvidence, Opening, Outcome } from '../model.js';
import { isEnterprise } from '../model.js';
import { cidrContains, ipInCidr, parseCidr } from '../util/cidr.js';
import {
  describePorts,
  directPaths,
  isWorldOpen,
  loadBalancerPaths,
  openingEvidence,
  opensTcpPort,
  pathEvidence,
  pathText,
  type Path,
} from '../exposure/reach.js';
import { fsbp, judged, NET_EXPOSED_CIS, UNNEEDED_SERVICE_PCI } from './compliance.js';
import { ASFF_TYPES, type Described, evidenceValue, type SelfDescribed } from './support.js';
import { apiPorts, HTTP_PORT, publishedPorts, subjectApiPorts } from '../exposure/api-ports.js';

type Verdict = 'exposed' | 'allowed' | 'unknown';

const PORTS_URL = 'https://docs.influxdata.com/influxdb/v1/administration/security/#ports';
const ENTERPRISE_PORTS_URL = 'https://docs.influxdata.com/enterprise_influxdb/v1/administration/configure/ports/';
const REACHABLE = 'CRITICAL when reachable from the internet';

/**
 * The InfluxDB HTTP API ports (CHECKS.md): the bound port when the host evidence or the endpoint tag shows it,
 * else 8181 for 3.x, 8086 for 1.x/2.x, and both while nothing tells the major version (AWS evidence alone).
 */
export function httpApiPorts(major: 1 | 2 | 3 | undefined, bound?: number): number[] {
  return apiPorts(major, bound);
}

/** Inside the Enterprise cluster: a cluster group, a configured cluster CIDR, or one cluster node's address. */
function insideCluster(o: Opening, net: NetworkEvidence): boolean {
  if (o.peer.kind === 'securityGroup') return net.clusterGroupIds.includes(o.peer.groupId);
  if (o.peer.kind !== 'cidr') return false;
  const peer = parseCidr(o.peer.cidr)!;
  if (net.clusterCidrs.some((c) => cidrContains(parseCidr(c)!, peer))) return true;
  const hostBits = peer.family === 4 ? 32 : 128;
  return peer.prefixLength === hostBits && net.clusterHostIps.some((ip) => ipInCidr(ip, peer));
}

/** What tells a subject's ports: its host evidence, and for a containerised InfluxDB its task definitions and tasks. */
type PortEvidence = Pick<InstanceEvidence, 'host' | 'ecs'>;

interface PortRow {
  meta: CheckMeta & SelfDescribed;
  ports: number[];
  /** Ports that depend on what the instance runs (the HTTP API: httpApiPorts); `ports` otherwise. */
  portsFor?: (i: Instance, e: PortEvidence) => number[];
  appliesTo: (i: Instance) => boolean;
  judge: (o: Opening, net: NetworkEvidence, i: Instance) => Verdict;
  /** What a passing instance looks like, for people. */
  passed: string;
  /** The base severity of a world-open source, path or not, where CHECKS.md's row sets one ("world: CRITICAL"). */
  worldSeverity?: 'CRITICAL';
}

/** The port table. Add a row to judge a new port; nothing else changes. */
export const PORT_TABLE: PortRow[] = [
  {
    meta: {
      id: 'net.http-port-public',
      title: 'InfluxDB HTTP API port 8086 is open to the internet',
      severity: 'HIGH',
      section: 'Ports',
      risk: 'Anyone on the internet can reach the HTTP API: query, write, and try credentials without limit.',
      remediation: {
        text: 'Remove 0.0.0.0/0 and ::/0, splits that add up to them (0.0.0.0/1 + 128.0.0.0/1) and prefix lists containing them from rules covering TCP 8086; allow only the client networks or a proxy, and keep authentication and HTTPS on.',
        url: PORTS_URL,
      },
      evidence: ['aws'],
      asffTypes: ASFF_TYPES.network,
      failedWhen:
        "the InfluxDB HTTP API port (TCP 8086; 8181 for InfluxDB 3; both while only AWS evidence speaks; the port the host evidence or the `influxdb:endpoint` tag shows) open to the world: 0.0.0.0/0 or ::/0, or sources of one group that together are the world: their public part, merged (`cidr-tools`), holds at least half of the family's public unicast space (`0.0.0.0/1` alone, or an unaligned split such as `0.0.0.0/3` + `32.0.0.0/4` + `48.0.0.0/4` + `64.0.0.0/2` + `128.0.0.0/1`; not `128.0.0.0/1` alone, about 44 %); directly, by a port range, an all-traffic rule, or a managed prefix list; or reachable through an internet-facing load balancer",
      otherSeverities: `${REACHABLE} ([reachability.md](reachability.md)); world-open without a complete path stays HIGH (latent)`,
      compliance: {
        nist: [fsbp('nist', 'EC2.19')],
        cis: [NET_EXPOSED_CIS],
        pci: [fsbp('pci', 'EC2.13'), fsbp('pci', 'RDS.2')],
      },
    },
    ports: [HTTP_PORT],
    portsFor: subjectApiPorts,
    appliesTo: () => true,
    judge: (o) => (o.peer.kind === 'unresolved' ? 'unknown' : isWorldOpen(o) ? 'exposed' : 'allowed'),
    passed: 'no group opens TCP 8086 to the world (0.0.0.0/0, ::/0, or sources that together cover the internet)',
  },
  {
    meta: {
      id: 'net.rpc-port-exposed',
      title: 'InfluxDB backup/restore RPC port 8088 is exposed',
      severity: 'HIGH',
      section: 'Ports',
      risk: 'The RPC service on 8088 has no authentication: whoever reaches it can back up (read) or restore (overwrite) every database.',
      remediation: {
        text: 'Close TCP 8088, or allow it only from the single host that runs remote backups (a /32 or /128); Enterprise data nodes may allow it from the cluster’s own security groups.',
        url: 'https://docs.influxdata.com/influxdb/v1/administration/backup_and_restore/',
      },
      evidence: ['aws'],
      asffTypes: ASFF_TYPES.network,
      failedWhen:
        "TCP 8088 open to anything broader than one host (/32, /128); an SG reference counts as broad, except the cluster's own groups (and cluster CIDRs) on Enterprise data nodes; or reachable through a load balancer",
      otherSeverities: REACHABLE,
      compliance: {
        nist: [fsbp('nist', 'EC2.19')],
        cis: [NET_EXPOSED_CIS],
        pci: [fsbp('pci', 'EC2.13'), fsbp('pci', 'RDS.2')],
      },
    },
    ports: [8088],
    appliesTo: () => true,
    judge: (o, net, i) => {
      if (o.peer.kind === 'unresolved') return 'unknown';
      if (o.peer.kind === 'securityGroup') return i.role === 'data' && insideCluster(o, net) ? 'allowed' : 'exposed';
      if (isWorldOpen(o)) return 'exposed';
      if (o.peer.prefixLength === (o.peer.family === 4 ? 32 : 128)) return 'allowed';
      return i.role === 'data' && insideCluster(o, net) ? 'allowed' : 'exposed';
    },
    passed: 'TCP 8088 is closed or open only to single hosts (or, on data nodes, to the cluster)',
    worldSeverity: 'CRITICAL',
  },
  {
    meta: {
      id: 'net.cluster-ports-exposed',
      title: 'InfluxDB Enterprise cluster ports are exposed outside the cluster',
      severity: 'HIGH',
      section: 'Ports (Enterprise)',
      risk: 'Meta (8089 raft, 8091 HTTP) and data (8088 RPC) ports carry cluster control and data; reachable from outside the cluster they let an attacker join, read or disrupt it.',
      remediation: {
        text: 'Allow TCP 8088, 8089 and 8091 only from the cluster’s own security groups (or configured cluster CIDRs).',
        url: ENTERPRISE_PORTS_URL,
      },
      evidence: ['aws'],
      asffTypes: ASFF_TYPES.network,
      failedWhen:
        "Enterprise nodes: 8088, 8089 or 8091 open to a source outside the cluster (not a cluster group, a `--cluster-cidr`, or one cluster node's /32); or reachable through a load balancer",
      otherSeverities: REACHABLE,
      compliance: {
        nist: [fsbp('nist', 'EC2.18')],
        cis: [NET_EXPOSED_CIS],
        pci: [fsbp('pci', 'EC2.13')],
      },
    },
    ports: [8088, 8089, 8091],
    appliesTo: (i) => isEnterprise(i.role),
    judge: (o, net) => (o.peer.kind === 'unresolved' ? 'unknown' : insideCluster(o, net) ? 'allowed' : 'exposed'),
    passed: 'TCP 8088, 8089 and 8091 are open only inside the cluster',
  },
];

interface GroupVerdicts {
  exposed: Opening[];
  unknown: Opening[];
}

function byGroup(openings: Opening[], verdict: (o: Opening) => Verdict): Map<string, GroupVerdicts> {
  const groups = new Map<string, GroupVerdicts>();
  for (const o of openings) {
    const v = verdict(o);
    if (v === 'allowed') continue;
    const g = groups.get(o.groupId) ?? { exposed: [], unknown: [] };
    g[v].push(o);
    groups.set(o.groupId, g);
  }
  return groups;
}

/**
 * The shared shape of every port check's outcomes: one per offending group,
 * then `extra` (load-balancer paths, what could not be read about them), else one PASSED.
 */
function outcomesByGroup(
  groups: Map<string, GroupVerdicts>,
  failed: (g: GroupVerdicts, groupId: string) => Outcome,
  passed: string,
  net: NetworkEvidence,
  extra: Outcome[] = [],
): Outcome[] {
  const out: Outcome[] = [];
  for (const [groupId, g] of groups) {
    if (g.exposed.length) {
      // A source that could not be read may be broader than what was seen: the severity is a floor, not the answer.
      const unread = [...new Set([...g.exposed, ...g.unknown].flatMap((o) => (o.peer.kind === 'unresolved' ? [o.peer.reason] : [])))];
      const outcome = failed(g, groupId);
      const incomplete = [outcome.incomplete, ...(unread.length ? [`sources that could not be read: ${unread.join('; ')}`] : [])].filter(
        Boolean,
      );
      out.push({ ...outcome, ...(incomplete.length ? { incomplete: incomplete.join('; ') } : {}) });
    } else {
      const reasons = [...new Set(g.unknown.map((o) => (o.peer.kind === 'unresolved' ? o.peer.reason : '')))];
      out.push({
        status: 'NOT_AVAILABLE',
        resource: { type: 'AwsEc2SecurityGroup', id: groupId },
        summary: `cannot judge: ${reasons.join('; ')}`,
        details: { reason: reasons.join('; '), rules: g.unknown.map(openingEvidence) },
      });
    }
  }
  out.push(...extra);
  if (out.length === 0) out.push({ status: 'PASSED', summary: passed, details: { securityGroups: net.groupIds } });
  return out;
}

/**
 * What the direct paths say where a group has world-open rules (CHECKS.md,
 * "Reachable from the internet"): `reachable` with a complete path, the
 * security-group hop admitting what the `admitting` rules do (default: the
 * world-open ones); else a latent exposure, with why each path breaks;
 * `incomplete` when a hop could not be read.
 */
function directExposure(net: NetworkEvidence, world: Opening[], ranges: [number, number][], admitting: readonly Opening[] = world) {
  const paths = world.length ? ranges.flatMap((r) => directPaths(net, admitting, r)) : [];
  const open = paths.filter((p) => p.state === 'open');
  const unknown = paths.filter((p) => p.state === 'unknown');
  // The paths worth reading: those that got past the address, and those of a family the world-open rules admit.
  const families = new Set(world.flatMap((o) => (o.peer.kind === 'cidr' ? [o.peer.family] : [])));
  const relevant = paths.filter((p) => p.hops.length || (p.family && families.has(p.family)));
  const shown = open.length ? open : relevant.length ? relevant : paths.slice(0, 1);
  const why = open.length ? '' : [...new Set(shown.map((p) => p.broken ?? p.missing))].join('; ');
  return {
    reachable: open.length > 0,
    note: open.length
      ? `; reachable from the internet: ${pathText(open[0]!)}`
      : paths.length
        ? `; latent: world-open, but no complete path from the internet (${why})`
        : '',
    details: {
      internetReachable: open.length > 0,
      ...(paths.length ? { paths: shown.map(pathEvidence) } : {}),
      ...(net.publicIpv4.length ? { publicIps: net.publicIpv4 } : {}),
      ...(net.publicIpv6.length ? { publicIpv6: net.publicIpv6 } : {}),
    },
    ...(!open.length && unknown.length
      ? { incomplete: `a path hop could not be read: ${[...new Set(unknown.map((p) => p.missing))].join('; ')}` }
      : {}),
  };
}

/**
 * Paths through internet-facing load balancers to these ports: one FAILED
 * (CRITICAL) finding per load balancer, on the load balancer's resource; and
 * NOT_AVAILABLE for the instance when a part that could change that answer could not be read.
 */
function loadBalancerOutcomes(net: NetworkEvidence, ports: number[]): Outcome[] {
  const paths: Path[] = ports.flatMap((p) => loadBalancerPaths(net, p));
  const byLb = new Map<string, Path[]>();
  for (const p of paths) if (p.state === 'open' && p.lb) byLb.set(p.lb.id, [...(byLb.get(p.lb.id) ?? []), p]);
  const out: Outcome[] = [...byLb.values()].map((ps) => {
    const lb = ps[0]!.lb!;
    const open = [...new Set(ps.map((p) => p.port))];
    return {
      status: 'FAILED',
      severity: 'CRITICAL',
      resource: { type: lb.kind === 'classic' ? 'AwsElbLoadBalancer' : 'AwsElbv2LoadBalancer', id: lb.id },
      summary: `TCP ${open.join(', ')} reachable from the internet through load balancer ${lb.name}: ${pathText(ps[0]!)}`,
      details: { ports: open, internetReachable: true, loadBalancer: lb.name, paths: ps.map(pathEvidence) },
    };
  });
  const unknown = [...new Set(paths.filter((p) => p.state === 'unknown').map((p) => p.missing))];
  if (unknown.length)
    out.push({
      status: 'NOT_AVAILABLE',
      summary: `cannot judge paths through load balancers: ${unknown.join('; ')}`,
      details: { reason: unknown.join('; ') },
    });
  return out;
}

function portCheck(row: PortRow): Described<InstanceCheck> {
  return {
    ...row.meta,
    scope: 'instance',
    needs: ['network'],
    appliesTo: ({ instance }) => row.appliesTo(instance),
    evaluate: ({ instance, evidence }) => {
      const net = evidenceValue(evidence.network);
      const rowPorts = portsOf(row, instance, evidence);
      const relevant = net.openings.filter((o) => rowPorts.some((p) => opensTcpPort(o, p)));
      const groups = byGroup(relevant, (o) => row.judge(o, net, instance));
      return outcomesByGroup(
        groups,
        (g, groupId) => {
          const ports = rowPorts.filter((p) => g.exposed.some((o) => opensTcpPort(o, p)));
          const sources = [...new Set(g.exposed.map((o) => (o.peer.kind === 'cidr' ? o.peer.cidr : o.source)))];
          const world = g.exposed.filter(isWorldOpen);
          // The interface's groups together admit the sources (CHECKS.md): every rule of the instance on these ports.
          const reach = directExposure(
            net,
            world,
            ports.map((p) => [p, p]),
            relevant,
          );
          return {
            status: 'FAILED',
            severity: reach.reachable ? 'CRITICAL' : (world.length && row.worldSeverity) || row.meta.severity,
            resource: { type: 'AwsEc2SecurityGroup', id: groupId },
            summary: `TCP ${ports.join(', ')} open to ${sources.join(', ')}${reach.note}`,
            details: { ports, rules: g.exposed.map(openingEvidence), ...reach.details },
            ...(reach.incomplete ? { incomplete: reach.incomplete } : {}),
          };
        },
        row.passed,
        net,
        loadBalancerOutcomes(net, rowPorts),
      );
    },
  };
}

/** A row's ports for one subject, as the network sees them (a bridge service's mapped host ports: lib/exposure/api-ports.ts). */
const portsOf = (row: PortRow, i: Instance, e: PortEvidence): number[] =>
  row.portsFor ? row.portsFor(i, e) : publishedPorts(e, row.ports);

/** The table's checks, in table order. */
export const portExposureChecks: Described<InstanceCheck>[] = PORT_TABLE.map(portCheck);

// ───────────────────────────── unexpected ports ─────────────────────────────

type Range = [number, number];

/** `ranges` minus `[from, to]`. */
function subtract(ranges: Range[], [from, to]: Range): Range[] {
  return ranges.flatMap(([a, b]): Range[] => {
    if (to < a || from > b) return [[a, b]];
    const out: Range[] = [];
    if (a < from) out.push([a, from - 1]);
    if (to < b) out.push([to + 1, b]);
    return out;
  });
}

/** Whether an allowlist entry's sources cover the opening's peer (unknown when the peer could not be read). */
function sourceMatches(entry: AllowedPort, o: Opening): boolean | 'unknown' {
  if (!entry.sources) return true;
  let unknown = false;
  for (const s of entry.sources) {
    if (s.startsWith('sg-')) {
      if (o.peer.kind === 'securityGroup' && o.peer.groupId === s) return true;
    } else if (s.startsWith('pl-')) {
      if (o.source === s) return true;
    } else if (o.peer.kind === 'cidr') {
      if (cidrContains(parseCidr(s)!, parseCidr(o.peer.cidr)!)) return true;
    } else if (o.peer.kind === 'unresolved') {
      unknown = true;
    }
  }
  return unknown ? 'unknown' : false;
}

/** TCP ports judged by the table (or expected) for this node: never "unexpected". */
export function judgedTcpPorts(i: Instance, e: PortEvidence = {}): number[] {
  // The HTTP API row applies to every node: its ports (subjectApiPorts) are among these.
  return [...new Set(PORT_TABLE.filter((r) => r.appliesTo(i)).flatMap((r) => portsOf(r, i, e)))];
}

const PORTLESS = new Set(['icmp', 'icmpv6']);

/**
 * The ports an opening opens beyond what is expected, per protocol; and
 * whether the answer hangs on a source that could not be read.
 */
export function unexpectedPorts(
  o: Opening,
  judgedPorts: number[],
  allowed: AllowedPort[],
): { ranges: { protocol: string; ranges: Range[] }[]; unknown: boolean } {
  if (PORTLESS.has(o.protocol)) return { ranges: [], unknown: false };
  const protocols = o.protocol === 'all' ? ['tcp', 'udp'] : [o.protocol];
  let unknown = false;
  const out: { protocol: string; ranges: Range[] }[] = [];
  for (const protocol of protocols) {
    let ranges: Range[] = [[o.fromPort, o.toPort]];
    if (protocol === 'tcp') for (const p of judgedPorts) ranges = subtract(ranges, [p, p]);
    let ifUnknownMatched = ranges;
    for (const entry of allowed) {
      if (entry.protocol !== 'all' && entry.protocol !== protocol) continue;
      const m = sourceMatches(entry, o);
      if (m === true) ranges = subtract(ranges, [entry.fromPort, entry.toPort]);
      if (m !== false) ifUnknownMatched = subtract(ifUnknownMatched, [entry.fromPort, entry.toPort]);
    }
    if (ranges.length && !ifUnknownMatched.length) unknown = true;
    else if (ranges.length) out.push({ protocol, ranges });
  }
  return { ranges: out, unknown };
}

const rangesText = (rs: { protocol: string; ranges: Range[] }[]) =>
  rs.map((r) => `${r.protocol.toUpperCase()} ${r.ranges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',')}`).join('; ');

/** The ports load balancers forward to that some rule opens unexpectedly (not judged, not allowlisted for that source). */
function unexpectedTargetPorts(net: NetworkEvidence, extraRanges: Map<Opening, Range[]>): number[] {
  if (!net.loadBalancers?.ok) return [];
  const ranges = [...extraRanges.values()].flat();
  const ports = new Set(net.loadBalancers.value.routes.map((r) => r.target.port));
  return [...ports].filter((p) => ranges.some(([a, b]) => a <= p && p <= b)).sort((a, b) => a - b);
}

export const unexpectedPortsOpen: Described<InstanceCheck> = {
  id: 'net.unexpected-ports-open',
  title: 'Security groups open ports other than InfluxDB’s',
  severity: 'MEDIUM',
  section: 'Ports',
  risk: 'Every extra open port is another service an attacker can reach; InfluxData recommends closing all ports but 8086.',
  remediation: {
    text: 'Remove inbound rules for ports other than 8086 (8088/8089/8091 are judged by their own checks), or add the ports you really need to the allowlist (`--allow-port 22@sg-…`).',
    url: PORTS_URL,
  },
  evidence: ['aws'],
  asffTypes: ASFF_TYPES.network,
  failedWhen:
    'any inbound rule opens a port other than 8086 and the allowlist (8088, and 8089/8091 on Enterprise nodes, are judged above); UDP counts, ICMP does not',
  otherSeverities: `HIGH from the world; ${REACHABLE}`,
  compliance: {
    nist: [fsbp('nist', 'EC2.18')],
    cis: [judged('cis', ['4.4', '4.8'], 'a firewall on servers; no unnecessary services reachable')],
    pci: [fsbp('pci', 'EC2.13'), UNNEEDED_SERVICE_PCI],
  },
  scope: 'instance',
  needs: ['network'],
  evaluate: ({ instance, evidence, settings }) => {
    const net = evidenceValue(evidence.network);
    const judgedPorts = judgedTcpPorts(instance, evidence);
    const extra = new Map<Opening, string>();
    const extraRanges = new Map<Opening, Range[]>();
    const groups = byGroup(net.openings, (o) => {
      const u = unexpectedPorts(o, judgedPorts, settings.allowedPorts);
      if (u.ranges.length) extra.set(o, rangesText(u.ranges));
      const tcp = u.ranges.find((r) => r.protocol === 'tcp');
      if (tcp) extraRanges.set(o, tcp.ranges);
      return u.ranges.length ? 'exposed' : u.unknown ? 'unknown' : 'allowed';
    });
    return outcomesByGroup(
      groups,
      (g, groupId) => {
        const world = g.exposed.filter(isWorldOpen);
        const reach = directExposure(
          net,
          world,
          world.flatMap((o) => extraRanges.get(o) ?? []),
        );
        return {
          status: 'FAILED',
          severity: reach.reachable ? 'CRITICAL' : world.length ? 'HIGH' : 'MEDIUM',
          resource: { type: 'AwsEc2SecurityGroup', id: groupId },
          summary: `opens ${g.exposed.map((o) => `${extra.get(o)} to ${o.peer.kind === 'cidr' ? o.peer.cidr : o.source}`).join('; ')}${reach.note}`,
          details: {
            rules: g.exposed.map((o) => ({ ...openingEvidence(o), opens: describePorts(o), unexpected: extra.get(o) })),
            worldOpen: world.length > 0,
            ...reach.details,
          },
          ...(reach.incomplete ? { incomplete: reach.incomplete } : {}),
        };
      },
      `only TCP ${judgedPorts.join(', ')} and allowlisted ports are open`,
      net,
      // Only the rules that open a port unexpectedly may complete a load-balancer path here (an allowlisted rule is expected).
      loadBalancerOutcomes({ ...net, openings: [...extraRanges.keys()] }, unexpectedTargetPorts(net, extraRanges)),
    );
  },
};

/** The family, in report order. */
export const NET_CHECKS: readonly Described[] = [...portExposureChecks, unexpectedPortsOpen];
