/**
 * Questions asked of the exposure model (pure): which ports an opening lets
 * in, whether its source is the world, whether the instance is reachable from
 * the internet. Shared by the evidence stage and the checks, which must not
 * import each other.
 */
import { containsCidr, excludeCidr } from 'cidr-tools';
import type { NetworkEvidence, Opening } from './model.js';

/**
 * The public unicast space of each family: what a source set must cover to
 * count as "the world" (CHECKS.md: not only `0.0.0.0/0`, also splits such as
 * `0.0.0.0/1` + `128.0.0.0/1`). IPv4 minus the special-purpose ranges of RFC
 * 6890 and multicast/reserved; IPv6 global unicast minus documentation.
 */
const PUBLIC_SPACE = {
  4: excludeCidr(
    ['0.0.0.0/0'],
    ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24', '192.0.2.0/24'].concat([
      '192.88.99.0/24',
      '192.168.0.0/16',
      '198.18.0.0/15',
      '198.51.100.0/24',
      '203.0.113.0/24',
      '224.0.0.0/4',
      '240.0.0.0/4',
    ]),
  ),
  6: excludeCidr(['2000::/3'], ['2001:db8::/32']),
};

/** Whether these CIDRs (one family) together cover the whole public internet of that family. */
export const coversInternet = (cidrs: readonly string[], family: 4 | 6): boolean =>
  cidrs.length > 0 && containsCidr([...cidrs], PUBLIC_SPACE[family]);

const protocolCovers = (outer: string, inner: string) => outer === 'all' || outer === inner;

/**
 * Marks the CIDR openings whose source set covers the internet: for each
 * opening, the union of its group's CIDRs (same family) that open at least
 * its ports to at least its protocol. Returns the openings (marked in place).
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
      covers = coversInternet(sources, family);
      verdicts.set(key, covers);
    }
    if (covers) o.peer.coversInternet = true;
  }
  return openings;
}

/** Whether the opening lets TCP traffic to `port` in. */
export const opensTcpPort = (o: Opening, port: number): boolean =>
  (o.protocol === 'tcp' || o.protocol === 'all') && o.fromPort <= port && port <= o.toPort;

/** The source is the world: `0.0.0.0/0`, `::/0`, or a set of the group's sources that covers the public internet. */
export const isWorldOpen = (o: Opening): boolean => o.peer.kind === 'cidr' && (o.peer.prefixLength === 0 || o.peer.coversInternet === true);

/**
 * Reachable from the internet, as CHECKS.md defines it: a world-open rule AND a
 * public address on the instance (either family: severity errs on the side of
 * exposure; the evidence lists the addresses).
 */
export const reachableFromInternet = (o: Opening, net: NetworkEvidence): boolean =>
  isWorldOpen(o) && (net.publicIpv4.length > 0 || net.publicIpv6.length > 0);

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
