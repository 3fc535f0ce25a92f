/** Work units of a fanned-out scan: account × region × at most N instances. Pure. */
import { z } from 'zod';
import { CHECKS } from '../checks/index.js';
import { chunk } from '../util/concurrency.js';
import { lazy } from '../util/lazy.js';

/** Most instances in one unit (config.app.unitSize is at most this). */
export const UNIT_INSTANCES_MAX = 1000;

/** Built on first use (lib/util/lazy.ts), as the other schemas the Lambda bundles hold. */
export const WorkUnitSchema = lazy(() =>
  z.object({
    scanId: z.string().min(1).max(100),
    unitIndex: z.number().int().nonnegative(),
    unitsTotal: z.number().int().positive(),
    accountId: z.string().regex(/^\d{12}$/),
    region: z.string().min(1).max(40),
    /** Instances of this unit; null: the whole region (dispatch could not list it). */
    instanceIds: z.array(z.string().max(32)).max(UNIT_INSTANCES_MAX).nullable(),
    regionChecks: z.boolean(),
    /**
     * Dispatch listed the region completely (false when the request named
     * instances). The region's inventory is not in the message (it can be
     * thousands of ids): the worker loads it from the scan record
     * (ScanStore.getInventory), so that it archives only instances that are
     * verifiably gone and never another unit's.
     */
    regionComplete: z.boolean().default(true),
    /** Units of this account × region: 1 means this unit's instances are the region's whole inventory (nothing to load). */
    regionUnits: z.number().int().positive().optional(),
    publish: z.boolean(),
    checks: z.array(z.string().max(100)).max(CHECKS.length).optional(),
  }),
);
export type WorkUnit = z.infer<ReturnType<typeof WorkUnitSchema>>;

export interface RegionInventoryIds {
  accountId: string;
  region: string;
  /** Undefined when the region could not be listed at dispatch. */
  instanceIds?: string[];
}

export function planUnits(
  scanId: string,
  regions: RegionInventoryIds[],
  unitSize: number,
  opts: { publish: boolean; checks?: string[]; regionComplete?: boolean; named?: string[] },
): WorkUnit[] {
  const units: Omit<WorkUnit, 'unitIndex' | 'unitsTotal'>[] = [];
  for (const r of regions) {
    // One unit even for an empty region: it runs the region checks and archives findings of vanished instances.
    // A region dispatch could not list: the worker lists it, the whole region or, for a request that named instances, only those.
    const unlisted = opts.named ? chunk(opts.named, unitSize) : [null];
    const parts = r.instanceIds === undefined ? unlisted : r.instanceIds.length ? chunk(r.instanceIds, unitSize) : [[]];
    parts.forEach((ids, i) => {
      units.push({
        scanId,
        accountId: r.accountId,
        region: r.region,
        instanceIds: ids,
        regionChecks: i === 0,
        regionComplete: opts.regionComplete ?? true,
        regionUnits: parts.length,
        publish: opts.publish,
        ...(opts.checks ? { checks: opts.checks } : {}),
      });
    });
  }
  return units.map((u, unitIndex) => ({ ...u, unitIndex, unitsTotal: units.length }));
}
