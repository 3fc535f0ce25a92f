/** Plain evidence fixtures for unit tests of pure checks. */
import { parseConfig } from '../../lib/config.js';
import { checkSettings } from '../../lib/evidence/index.js';
import { CHECKS } from '../../lib/checks/index.js';
import { evaluateEndpoint, evaluateInstance } from '../../lib/evaluate.js';
import type {
  Finding,
  HostEvidence,
  Instance,
  InstanceContext,
  InterfacePosition,
  LoadBalancerRoute,
  NetworkAcl,
  NetworkEvidence,
  Opening,
  Result,
  SubnetRoutes,
  VolumeEvidence,
} from '../../lib/model.js';
import { fail, ok } from '../../lib/model.js';
import { markInternetCover } from '../../lib/exposure/reach.js';
import { ec2InstanceSubject } from '../../lib/kinds/ec2-instance/subject.js';
import { parseCidr } from '../../lib/util/cidr.js';

export function instance(over: Partial<Instance> = {}): Instance {
  return {
    accountId: '111122223333',
    region: 'eu-west-1',
    instanceId: 'i-0000000000000aaaa',
    state: 'running',
    role: 'oss',
    tags: { influxdb: '' },
    interfaces: [],
    securityGroupIds: ['sg-00000000000000001'],
    privateIps: ['10.0.1.10'],
    publicIps: [],
    ipv6: [],
    blockDevices: [],
    ...over,
  };
}

/** `open('sg-1', 'tcp', 8086, '0.0.0.0/0')`; source may be a CIDR, an sg- id, or `{ unresolved }`. */
export function open(
  groupId: string,
  protocol: string,
  ports: number | [number, number],
  source: string | { unresolved: string },
  viaPrefixList?: string,
): Opening {
  const [fromPort, toPort] = typeof ports === 'number' ? [ports, ports] : ports;
  if (typeof source !== 'string')
    return {
      groupId,
      protocol,
      fromPort,
      toPort,
      source: viaPrefixList ?? 'pl-0000000000',
      peer: { kind: 'unresolved', reason: source.unresolved },
    };
  if (source.startsWith('sg-')) return { groupId, protocol, fromPort, toPort, source, peer: { kind: 'securityGroup', groupId: source } };
  const c = parseCidr(source)!;
  return {
    groupId,
    protocol,
    fromPort,
    toPort,
    source: viaPrefixList ?? source,
    peer: { kind: 'cidr', cidr: c.text, family: c.family, prefixLength: c.prefixLength, ...(viaPrefixList ? { viaPrefixList } : {}) },
  };
}

/** A network ACL that allows everything both ways, both families (the default ACL of a VPC with IPv6). */
export const OPEN_ACL: NetworkAcl = {
  aclId: 'acl-0000000000000open',
  entries: ([false, true] as const).flatMap((egress) => [
    { ruleNumber: 100, egress, allow: true, protocol: 'all', fromPort: 0, toPort: 65535, cidr: '0.0.0.0/0', family: 4 as const },
    { ruleNumber: 101, egress, allow: true, protocol: 'all', fromPort: 0, toPort: 65535, cidr: '::/0', family: 6 as const },
  ]),
};

/** A route table with these routes (destination CIDR → target), both families. */
export const routeTable = (routeTableId: string, routes: Record<string, string>, main = false): SubnetRoutes => ({
  routeTableId,
  main,
  routes: Object.entries(routes).map(([destination, target]) => ({ destination, family: destination.includes(':') ? 6 : 4, target })),
});

/** One interface in a public subnet (both default routes to an internet gateway, the open ACL), overridable. */
export function position(over: Partial<InterfacePosition> = {}): InterfacePosition {
  return {
    interfaceId: 'eni-0000000000000000a',
    subnetId: 'subnet-0000000000000000a',
    groupIds: [],
    publicIpv4: [],
    publicIpv6: [],
    routes: ok(routeTable('rtb-0000000000000000a', { '0.0.0.0/0': 'igw-0000000000000000a', '::/0': 'igw-0000000000000000a' })),
    acl: ok(OPEN_ACL),
    ...over,
  };
}

/** A route of an internet-facing ALB (admitted from 0.0.0.0/0 on 443) to TCP 8086, overridable. */
export function lbRoute(over: Partial<LoadBalancerRoute> = {}): LoadBalancerRoute {
  return {
    lb: {
      kind: 'application',
      id: 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/influx/0123456789abcdef',
      name: 'influx',
      groupIds: ['sg-00000000000000a1b'],
      subnetCidrs: ok(['10.0.0.0/24']),
      // In a public subnet (both default routes to an internet gateway, the open ACL), its group open on 443 to both families.
      subnets: [{ subnetId: 'subnet-00000000000000lb', routes: position().routes, acl: position().acl }],
      openings: markInternetCover([
        open('sg-00000000000000a1b', 'tcp', 443, '0.0.0.0/0'),
        open('sg-00000000000000a1b', 'tcp', 443, '::/0'),
      ]),
    },
    listener: {
      id: 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/influx/0123456789abcdef/1',
      port: 443,
      protocol: 'HTTPS',
    },
    targetGroup: { id: 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/influx/0123456789abcdef', name: 'influx' },
    target: { port: 8086, kind: 'instance', health: 'healthy' },
    admitted: ok({ groupId: 'sg-00000000000000a1b', source: '0.0.0.0/0' }),
    ...over,
  };
}

/**
 * Network evidence. Unless `interfaces` is given, the instance has one
 * interface in a public subnet carrying every group and the given public addresses.
 */
export function net(openings: Opening[], over: Partial<NetworkEvidence> = {}): NetworkEvidence {
  const groupIds = [...new Set(openings.map((o) => o.groupId))];
  const base: NetworkEvidence = {
    openings: markInternetCover(openings),
    groupIds,
    clusterGroupIds: [],
    clusterHostIps: [],
    clusterCidrs: [],
    publicIpv4: [],
    publicIpv6: [],
    loadBalancers: ok({ routes: [], unknown: [] }),
    ...over,
  };
  return { ...base, interfaces: over.interfaces ?? [position({ groupIds, publicIpv4: base.publicIpv4, publicIpv6: base.publicIpv6 })] };
}

export function ctx(
  opts: {
    instance?: Partial<Instance>;
    net?: NetworkEvidence;
    volumes?: VolumeEvidence[];
    config?: unknown;
    /** More evidence keys (imds, snapshots, userData, probe …). */
    evidence?: Partial<InstanceContext['evidence']>;
  } = {},
): InstanceContext {
  return {
    instance: instance(opts.instance),
    settings: checkSettings(parseConfig(opts.config ?? {})),
    evidence: { network: ok(opts.net ?? net([])), volumes: ok(opts.volumes ?? []), ...opts.evidence },
  };
}

/** Every instance and endpoint check on one instance's host evidence alone (not probed). */
export function judgeHost(host: Result<HostEvidence>, over: Partial<Instance> = {}): Finding[] {
  const i = instance(over);
  const settings = checkSettings(parseConfig({}));
  return [
    ...evaluateInstance(CHECKS, { instance: i, settings, evidence: { network: ok(net([])), volumes: ok([]), host } }),
    ...evaluateEndpoint(CHECKS, {
      probed: false,
      evidence: { probe: fail('not probed'), host },
      settings,
      instance: i,
      subject: ec2InstanceSubject(i),
      now: Date.now(),
    }),
  ];
}

/** One trusted influxd process of host evidence (the collector's schema). */
export const hostProcess = (over: Partial<HostEvidence['processes'][number]> = {}): HostEvidence['processes'][number] => ({
  pid: 1,
  name: 'influxd',
  user: 'influxdb',
  cmdline: 'influxd',
  configPath: '/etc/influxdb/influxdb.conf',
  env: {},
  configSource: 'file',
  config: {},
  headers: {},
  ...over,
});

/** Host evidence of one trusted influxd with this effective configuration (the collector's schema). */
export function hostEvidence(config: Record<string, string> = {}): HostEvidence {
  return {
    schema: 'influxguard.collector/2',
    collectedAt: '2026-11-23T00:00:00Z',
    hostname: 'h',
    tools: { ss: true, openssl: true, influxd: true },
    version: '1.8.10',
    processes: [hostProcess({ config })],
    listeners: [],
    listenerSource: 'ss',
    files: [],
    systemd: { environmentFiles: [], env: {} },
    errors: [],
  } as HostEvidence;
}
