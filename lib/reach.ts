/**
 * Questions asked of the exposure model (pure): which ports an opening lets
 * in, whether its source is the world, whether the instance is reachable from
 * the internet. Shared by the evidence stage and the checks, which must not
 * import each other.
 */
import type { NetworkEvidence, Opening } from './model.js';

/** Whether the opening lets TCP traffic to `port` in. */
export const opensTcpPort = (o: Opening, port: number): boolean =>
  (o.protocol === 'tcp' || o.protocol === 'all') && o.fromPort <= port && port <= o.toPort;

export const isWorldOpen = (o: Opening): boolean => o.peer.kind === 'cidr' && o.peer.prefixLength === 0;

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
    ...(o.peer.kind === 'unresolved' ? { unresolved: o.peer.reason } : {}),
  };
}
