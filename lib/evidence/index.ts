/**
 * The gather stage: turns discovery records into evidence, one source per
 * module, each either data or the reason it could not be had. Probe and host
 * evidence (later stages of the roadmap) plug in here beside the AWS sources.
 */
import type { Config } from '../config.js';
import type { CheckSettings, InstanceContext, RegionContext, RegionInventory, Result, VolumeEvidence } from '../model.js';
import { fail, ok } from '../model.js';
import { clusterFacts, networkEvidence } from './network.js';

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

export interface RegionEvidenceBundle {
  instances: InstanceContext[];
  region: RegionContext;
}

export async function gatherRegion(inv: RegionInventory, config: Config): Promise<RegionEvidenceBundle> {
  const settings = checkSettings(config);
  const clusters = clusterFacts(inv.instances);
  const instances = inv.instances.map((instance) => ({
    instance,
    settings,
    evidence: {
      network: networkEvidence(instance, inv, clusters, config.clusterCidrs),
      volumes: volumeEvidence(instance.instanceId, instance.blockDevices, inv),
    },
  }));
  return {
    instances,
    region: { accountId: inv.accountId, region: inv.region, instances: inv.instances, settings, evidence: { ebsDefaultEncryption: inv.ebsDefaultEncryption } },
  };
}
