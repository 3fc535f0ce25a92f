/**
 * EC2 instances' evidence: network (groups, with the paths from the internet) and volumes from the AWS
 * inventory; every per-subject source applies: the probe at its tag or address, the host through the
 * collector, the credentialed audit with its secret.
 */
import type { Config } from '../../config.js';
import { auditSecretOf, internetExposed, probeTarget, type EvidenceTargets } from '../../evidence/index.js';
import { instanceApiPorts } from '../../exposure/api-ports.js';
import { clusterFacts, networkEvidence, withPaths } from '../../exposure/network.js';
import {
  fail,
  ok,
  type EndpointContext,
  type Instance,
  type InstanceContext,
  type ProbeEvidence,
  type RegionInventory,
  type Result,
  type SnapshotEvidence,
  type SnapshotInventory,
  type Volume,
  type VolumeEvidence,
} from '../../model.js';
import type { GatherEnv, Sourced } from '../kind.js';
import { ec2InstanceSubject } from './subject.js';

const attachments = new WeakMap<ReadonlyMap<string, Volume>, Map<string, Volume[]>>();
/** The region's volumes by the instances they are attached to (built once per inventory). */
function attachedTo(volumes: ReadonlyMap<string, Volume>): Map<string, Volume[]> {
  let index = attachments.get(volumes);
  if (!index) {
    index = new Map();
    for (const v of volumes.values())
      for (const a of v.attachments) {
        const list = index.get(a.instanceId);
        if (!list) index.set(a.instanceId, [v]);
        else if (!list.includes(v)) list.push(v);
      }
    attachments.set(volumes, index);
  }
  return index;
}

function volumeEvidence(
  instanceId: string,
  blockDevices: { volumeId: string; device: string }[],
  inv: RegionInventory,
): Result<VolumeEvidence[]> {
  if (!inv.volumes.ok) return fail(inv.volumes.reason);
  const all = inv.volumes.value;
  const devices = new Map(blockDevices.map((b) => [b.volumeId, b.device]));
  // The volumes attached to it or named by its block devices: by index, not a pass over the region's volumes each.
  const mine = new Set([...(attachedTo(all).get(instanceId) ?? []), ...blockDevices.flatMap((b) => all.get(b.volumeId) ?? [])]);
  const out: VolumeEvidence[] = [];
  for (const v of mine) {
    const attachment = v.attachments.find((a) => a.instanceId === instanceId);
    const e: VolumeEvidence = { volumeId: v.volumeId, device: attachment?.device || devices.get(v.volumeId) || '', encrypted: v.encrypted };
    if (v.kmsKeyId) e.kmsKeyId = v.kmsKeyId;
    if (v.sizeGiB !== undefined) e.sizeGiB = v.sizeGiB;
    if (v.volumeType) e.volumeType = v.volumeType;
    out.push(e);
  }
  return ok(out.sort((a, b) => a.device.localeCompare(b.device) || a.volumeId.localeCompare(b.volumeId)));
}

/** The instance's snapshots in one of the inventory's maps by volume, each with its volume's device. */
function snapshotEvidence(instance: Instance, part: SnapshotInventory['byVolume']): Result<SnapshotEvidence[]> {
  if (!part.ok) return fail(part.reason);
  return ok(instance.blockDevices.flatMap((b) => (part.value.get(b.volumeId) ?? []).map((s) => ({ ...s, device: b.device }))));
}

/** The instance's snapshots, the public ones, the region's Block Public Access and its user data's verdict, when read. */
function instanceData(instance: Instance, inv: RegionInventory): Partial<InstanceContext['evidence']> {
  const snaps = inv.snapshots;
  const userData = inv.userData?.get(instance.instanceId);
  return {
    ...(snaps
      ? {
          snapshots: snapshotEvidence(instance, snaps.byVolume),
          publicSnapshots: snapshotEvidence(instance, snaps.publicByVolume),
          snapshotBlockPublicAccess: snaps.blockPublicAccess,
        }
      : {}),
    ...(userData ? { userData } : {}),
  };
}

export const ec2InstanceTargets = (config: Config): EvidenceTargets<Instance> => ({
  id: (i) => i.instanceId,
  probeTarget: (i) => probeTarget(i, config.probe),
  auditSecret: (i) => auditSecretOf(i, config.audit),
  host: (i) => i,
});

/** Network and volumes from the inventory; host evidence when the collector read it. */
export function ec2InstanceContexts(
  instances: readonly Instance[],
  inv: RegionInventory,
  env: GatherEnv,
  sourced: readonly Sourced[],
): InstanceContext[] {
  const clusters = clusterFacts(inv.instances);
  return instances.map((instance, n) => {
    const host = sourced[n]?.host;
    const objectStore = sourced[n]?.objectStore;
    return {
      instance,
      settings: env.settings,
      evidence: {
        network: withPaths(networkEvidence(instance, inv, clusters, env.config.clusterCidrs), instance, inv.network),
        volumes: volumeEvidence(instance.instanceId, instance.blockDevices, inv),
        imds: instance.metadataOptions
          ? ok(instance.metadataOptions)
          : fail('DescribeInstances returned no MetadataOptions for the instance'),
        ...instanceData(instance, inv),
        ...(sourced[n]?.probe ? { probe: sourced[n]!.probe } : {}),
        ...(host ? { host } : {}),
        ...(objectStore ? { objectStore } : {}),
      },
    };
  });
}

/** The endpoint checks' context of an instance that was probed, audited or whose host was read. */
export function ec2InstanceEndpoint(i: Instance, ctx: InstanceContext, sourced: Sourced, env: GatherEnv): EndpointContext | undefined {
  const { probe: probed, audit, host } = sourced;
  if (probed === undefined && audit === undefined && host === undefined) return undefined;
  const target = probed && !probed.ok ? probeTarget(i, env.config.probe) : undefined;
  const endpoint = probed?.ok ? probed.value.endpoint : target?.ok ? target.value.input : undefined;
  const exposure = internetExposed(ctx.evidence.network, instanceApiPorts(i, host));
  return {
    ...(endpoint !== undefined ? { endpoint } : {}),
    probed: probed !== undefined,
    evidence: {
      probe: probed ?? fail<ProbeEvidence>('not probed'),
      ...(host ? { host } : {}),
      ...(audit ? { audit } : {}),
    },
    settings: env.settings,
    instance: i,
    subject: ec2InstanceSubject(i),
    internetExposed: exposure.exposed,
    ...(exposure.unknown !== undefined ? { exposureUnknown: exposure.unknown } : {}),
    now: env.now,
  };
}
