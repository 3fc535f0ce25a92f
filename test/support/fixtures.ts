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
  NetworkEvidence,
  Opening,
  Result,
  VolumeEvidence,
} from '../../lib/model.js';
import { fail, ok } from '../../lib/model.js';
import { markInternetCover } from '../../lib/reach.js';
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

export function net(openings: Opening[], over: Partial<NetworkEvidence> = {}): NetworkEvidence {
  return {
    openings: markInternetCover(openings),
    groupIds: [...new Set(openings.map((o) => o.groupId))],
    clusterGroupIds: [],
    clusterHostIps: [],
    clusterCidrs: [],
    publicIpv4: [],
    publicIpv6: [],
    ...over,
  };
}

export function ctx(
  opts: { instance?: Partial<Instance>; net?: NetworkEvidence; volumes?: VolumeEvidence[]; config?: unknown } = {},
): InstanceContext {
  return {
    instance: instance(opts.instance),
    settings: checkSettings(parseConfig(opts.config ?? {})),
    evidence: { network: ok(opts.net ?? net([])), volumes: ok(opts.volumes ?? []) },
  };
}

/** Every instance and endpoint check on one instance's host evidence alone (not probed). */
export function judgeHost(host: Result<HostEvidence>, over: Partial<Instance> = {}): Finding[] {
  const i = instance(over);
  const settings = checkSettings(parseConfig({}));
  return [
    ...evaluateInstance(CHECKS, { instance: i, settings, evidence: { network: ok(net([])), volumes: ok([]), host } }),
    ...evaluateEndpoint(CHECKS, { probed: false, evidence: { probe: fail('not probed'), host }, settings, instance: i, now: Date.now() }),
  ];
}

/** Host evidence of one trusted influxd with this effective configuration (the collector's schema). */
export function hostEvidence(config: Record<string, string> = {}): HostEvidence {
  return {
    schema: 'influxguard.collector/1',
    collectedAt: '2026-11-23T00:00:00Z',
    hostname: 'h',
    tools: { ss: true, openssl: true, influxd: true },
    version: '1.8.10',
    processes: [
      {
        pid: 1,
        name: 'influxd',
        user: 'influxdb',
        cmdline: 'influxd',
        configPath: '/etc/influxdb/influxdb.conf',
        env: {},
        configSource: 'influxd config',
        config,
        headers: {},
      },
    ],
    listeners: [],
    listenerSource: 'ss',
    files: [],
    systemd: { environmentFiles: [], env: {} },
    errors: [],
  } as HostEvidence;
}
