/** Work units of a fanned-out scan: account × region × at most N instances. Pure. */
import { z } from 'zod';
import { chunk } from '../util/concurrency.js';

export const WorkUnitSchema = z.object({
  scanId: z.string().min(1).max(100),
  unitIndex: z.number().int().nonnegative(),
  unitsTotal: z.number().int().positive(),
  accountId: z.string().regex(/^\d{12}$/),
  region: z.string().min(1).max(40),
  /** Instances of this unit; null: the whole region (dispatch could not list it). */
  instanceIds: z.array(z.string()).nullable(),
  /** Every instance of the region at dispatch: the lifecycle archives only what is in neither. */
  knownInstanceIds: z.array(z.string()),
  regionChecks: z.boolean(),
  /** knownInstanceIds is the region's whole inventory (false when the request named instances). */
  regionComplete: z.boolean().default(true),
  publish: z.boolean(),
  checks: z.array(z.string()).optional(),
});
export type WorkUnit = z.infer<typeof WorkUnitSchema>;

export interface RegionInventoryIds {
  accountId: string;
  region: string;
  /** Undefined when the region could not be listed at dispatch. */
  instanceIds?: string[];
}

export function planUnits(scanId: string, regions: RegionInventoryIds[], unitSize: number, opts: { publish: boolean; checks?: string[]; regionComplete?: boolean }): WorkUnit[] {
  const units: Omit<WorkUnit, 'unitIndex' | 'unitsTotal'>[] = [];
  for (const r of regions) {
    const known = r.instanceIds ?? [];
    // One unit even for an empty region: it runs the region checks and archives findings of vanished instances.
    const parts = r.instanceIds === undefined ? [null] : r.instanceIds.length ? chunk(r.instanceIds, unitSize) : [[]];
    parts.forEach((ids, i) =>
      units.push({
        scanId,
        accountId: r.accountId,
        region: r.region,
        instanceIds: ids,
        knownInstanceIds: known,
        regionChecks: i === 0,
        regionComplete: opts.regionComplete ?? true,
        publish: opts.publish,
        ...(opts.checks ? { checks: opts.checks } : {}),
      }),
    );
  }
  return units.map((u, unitIndex) => ({ ...u, unitIndex, unitsTotal: units.length }));
}
