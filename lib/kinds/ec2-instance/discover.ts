/**
 * EC2 instances selected by tag: one paginated DescribeInstances per selector (a work unit: by its ids). A failure
 * throws: the region's groups, volumes and account settings come from the same API, so the whole region is
 * NOT_AVAILABLE. With instances, the snapshots of their volumes and their user data are read
 * (lib/discover/instance-data.ts), beside the region's paths from the internet (`paths`, read once for every kind).
 */
import { listInstances } from '../../discover/ec2.js';
import { discoverSnapshots, discoverUserData } from '../../discover/instance-data.js';
import { ok, type Instance, type RegionInventory } from '../../model.js';
import type { DiscoverContext, Listing } from '../kind.js';

export async function discoverEc2Instances(c: DiscoverContext): Promise<Listing<Instance>> {
  const instances =
    c.only && c.only.length === 0 ? [] : await listInstances(c.clients.ec2(c.region), c.accountId, c.region, c.config, c.only);
  return {
    subjects: ok(instances),
    into: (inv) => {
      inv.instances = instances;
    },
  };
}

const SNAPSHOT_KEYS = ['snapshots', 'publicSnapshots', 'snapshotBlockPublicAccess'] as const;

export async function discoverEc2InstanceData(inv: RegionInventory, c: DiscoverContext): Promise<void> {
  if (!inv.instances.length) return;
  const ec2 = c.clients.ec2(c.region);
  const wants = c.wants ?? (() => true);
  // What no check of this scan reads is left unread (undefined: as for a region without instances).
  [inv.snapshots, inv.userData] = await Promise.all([
    SNAPSHOT_KEYS.some(wants) ? discoverSnapshots(ec2, inv.instances) : undefined,
    wants('userData') ? discoverUserData(ec2, inv.instances, c.userDataCache) : undefined,
  ]);
}
