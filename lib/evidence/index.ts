/**
 * The gather stage: turns discovery records into evidence, one source per
 * module, each either data or the reason it could not be had. Probe and host
 * evidence (later stages of the roadmap) plug in here beside the AWS sources.
 */
import type { Config } from '../config.js';
import type { CheckSettings, EndpointContext, HostEvidence, Instance, InstanceContext, NetworkEvidence, ProbeEvidence, RegionContext, RegionInventory, Result, VolumeEvidence } from '../model.js';
import { fail, ok } from '../model.js';
import { mapLimit } from '../util/concurrency.js';
import { clusterFacts, networkEvidence, opensTcpPort, reachableFromInternet } from './network.js';
import { TargetRefused, parseTarget, type ProbeTarget } from './probe/target.js';

export const checkSettings = (config: Config): CheckSettings => ({
  allowedPorts: config.allowedPorts,
  certificateWarningDays: config.probe.certificateWarningDays,
  defaultCredentials: config.probe.defaultCredentials,
});

function volumeEvidence(instanceId: string, blockDevices: { volumeId: string; device: string }[], inv: RegionInventory): Result<VolumeEvidence[]> {
  if (!inv.volumes.ok) return fail(inv.volumes.reason);
  const devices = new Map(blockDevices.map((b) => [b.volumeId, b.device]));
  const out: VolumeEvidence[] = [];
  for (const v of inv.volumes.value.values()) {
    const attachment = v.attachments.find((a) => a.instanceId === instanceId);
    if (!attachment && !devices.has(v.volumeId)) continue;
    const e: VolumeEvidence = { volumeId: v.volumeId, device: attachment?.device || devices.get(v.volumeId) || '', encrypted: v.encrypted };
    if (v.kmsKeyId) e.kmsKeyId = v.kmsKeyId;
    if (v.sizeGiB !== undefined) e.sizeGiB = v.sizeGiB;
    if (v.volumeType) e.volumeType = v.volumeType;
    out.push(e);
  }
  return ok(out.sort((a, b) => a.device.localeCompare(b.device) || a.volumeId.localeCompare(b.volumeId)));
}

export const ENDPOINT_TAG = 'influxdb:endpoint';

/**
 * Where to probe an instance: its `influxdb:endpoint` tag (a URL), else its
 * private (or, if configured, public) address on the configured port.
 * A tagged target must resolve to one of the instance's own addresses or into
 * `probe.endpointCidrs` (checked on the resolved address, see resolveTarget).
 * Undefined for instances that are never probed (not running, or meta nodes).
 */
export function probeTarget(i: Instance, config: Config): Result<ProbeTarget> | undefined {
  // Stopped instances have nothing listening; Enterprise meta nodes serve no 8086 API.
  if (i.state !== 'running' || i.role === 'meta') return undefined;
  const tagged = i.tags[ENDPOINT_TAG];
  try {
    if (tagged) {
      const owner = { label: `the ${ENDPOINT_TAG} tag of ${i.instanceId}`, addresses: [...i.privateIps, ...i.publicIps, ...i.ipv6], endpointCidrs: config.probe.endpointCidrs };
      return ok({ ...parseTarget(tagged, config.probe.port), owner });
    }
    const address = config.probe.address === 'public' ? i.publicIps[0] : i.privateIps[0];
    if (!address) return fail(`the instance has no ${config.probe.address} address to probe`);
    return ok({ input: `${address}:${config.probe.port}`, host: address, port: config.probe.port });
  } catch (err) {
    return fail(err instanceof TargetRefused ? `${ENDPOINT_TAG} tag: ${err.message}` : String(err));
  }
}

/** 8086 world-open and a public address: probe findings on this instance are raised one level. */
export const internetExposed = (net: Result<NetworkEvidence>): boolean =>
  net.ok && net.value.openings.some((o) => opensTcpPort(o, 8086) && reachableFromInternet(o, net.value));

export type ProbeFn = (t: ProbeTarget) => Promise<Result<ProbeEvidence>>;
/** Host evidence for a region's instances at once (SSM batches them): an entry per instance it covers. */
export type HostFn = (instances: Instance[]) => Promise<Map<string, Result<HostEvidence>>>;

export interface RegionEvidenceBundle {
  instances: InstanceContext[];
  endpoints: EndpointContext[];
  region: RegionContext;
}

export interface Gatherers {
  probe?: ProbeFn;
  host?: HostFn;
}

export async function gatherRegion(inv: RegionInventory, config: Config, sources: Gatherers = {}, now = Date.now()): Promise<RegionEvidenceBundle> {
  const settings = checkSettings(config);
  const clusters = clusterFacts(inv.instances);
  const probe = config.probe.enabled ? sources.probe : undefined;
  const targets = new Map(inv.instances.map((i) => [i.instanceId, probe ? probeTarget(i, config) : undefined]));
  // Host collection (SSM round trips) and probes do not depend on each other: both run at once.
  const [hosts, probes] = await Promise.all([
    sources.host && inv.instances.length ? sources.host(inv.instances) : undefined,
    mapLimit([...targets].filter(([, t]) => t !== undefined), config.probe.concurrency, async ([id, t]) =>
      [id, t!.ok ? await probe!(t!.value) : fail<ProbeEvidence>(t!.reason)] as const,
    ).then((pairs) => new Map(pairs)),
  ]);
  const instances: InstanceContext[] = inv.instances.map((instance) => {
    // An instance the transport left out is outside host collection (its host checks do not apply).
    const host = hosts?.get(instance.instanceId);
    return {
      instance,
      settings,
      evidence: {
        network: networkEvidence(instance, inv, clusters, config.clusterCidrs),
        volumes: volumeEvidence(instance.instanceId, instance.blockDevices, inv),
        ...(host ? { host } : {}),
      },
    };
  });
  const endpoints = instances
    .filter((c) => targets.get(c.instance.instanceId) !== undefined || c.evidence.host !== undefined)
    .map((c): EndpointContext => {
      const target = targets.get(c.instance.instanceId);
      const evidence = probes.get(c.instance.instanceId) ?? fail<ProbeEvidence>('not probed');
      const endpoint = evidence.ok ? evidence.value.endpoint : target?.ok ? target.value.input : undefined;
      return {
        ...(endpoint !== undefined ? { endpoint } : {}),
        probed: target !== undefined,
        evidence: { probe: evidence, ...(c.evidence.host ? { host: c.evidence.host } : {}) },
        settings,
        instance: c.instance,
        internetExposed: internetExposed(c.evidence.network),
        now,
      };
    });
  return {
    instances,
    endpoints,
    region: { accountId: inv.accountId, region: inv.region, instances: inv.instances, settings, evidence: { ebsDefaultEncryption: inv.ebsDefaultEncryption } },
  };
}
