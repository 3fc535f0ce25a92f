/**
 * Timestream for InfluxDB instances and clusters (lib/discover/timestream.ts: every DB of the region, paginated,
 * with its custom parameter groups). A failure to list is this kind's alone: its checks are NOT_AVAILABLE for the
 * region, the EC2 side is scanned.
 */
import { discoverTimestream } from '../../discover/timestream.js';
import type { TimestreamDb } from '../../model.js';
import type { DiscoverContext, Listing } from '../kind.js';

export async function discoverTimestreamDbs(c: DiscoverContext): Promise<Listing<TimestreamDb>> {
  const found = await discoverTimestream(c.clients.timestream(c.region), c.accountId, c.region, c.config);
  return {
    subjects: found.timestream,
    into: (inv) => {
      inv.timestream = found.timestream;
      inv.parameterGroups = found.parameterGroups;
    },
  };
}
