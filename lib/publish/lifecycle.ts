/**
 * The Security Hub lifecycle (pure): given this scan's findings for one
 * account × region and the ACTIVE findings influxguard already has there,
 * decide what to import. Nothing outside the scan's scope is touched.
 *
 * - new, or changed status/severity → imported (CreatedAt kept from the first sighting);
 * - unchanged → re-imported only when older than the refresh interval;
 * - NOT_AVAILABLE now, FAILED/WARNING before → left as it was (a broken
 *   probe never resolves a failure);
 * - ACTIVE before, not produced now, instance still there → imported as PASSED;
 * - ACTIVE before, instance gone from a complete scan of the region → ARCHIVED.
 */
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { isFailing, type Finding } from '../model.js';
import { GENERATOR_PREFIX, digest, findingId, toAsff } from './asff.js';

export interface PublishScope {
  accountId: string;
  region: string;
  /** Instances this scan covered. */
  instanceIds: ReadonlySet<string>;
  /** Checks this scan ran. */
  checkIds: ReadonlySet<string>;
  /** Every tagged instance of the region was listed: an instance not seen is gone. */
  complete: boolean;
  /** A work unit's view of the region: instances listed here but not in instanceIds belong to other units. */
  knownInstanceIds?: ReadonlySet<string>;
}

export interface Plan {
  /** What to import, each built when its batch is sent (thousands of ASFF documents are never held at once). */
  imports: (() => AwsSecurityFinding)[];
  counts: { new: number; changed: number; refreshed: number; unchanged: number; resolved: number; archived: number; keptUnavailable: number; outOfScope: number };
  /** Ids that are FAILED/WARNING now and were not before (for the SNS summary). */
  newFailures: string[];
  resolvedIds: string[];
}

/** `influxguard/<account>/<region>/<checkId>/<instance>/<resource>` → its parts. */
export function parseFindingId(id: string): { accountId: string; region: string; checkId: string; instanceId?: string; resourceId: string } | undefined {
  if (!id.startsWith(GENERATOR_PREFIX)) return undefined;
  const [accountId, region, checkId, instance, ...rest] = id.slice(GENERATOR_PREFIX.length).split('/');
  if (!accountId || !region || !checkId || !instance || !rest.length) return undefined;
  return { accountId, region, checkId, ...(instance !== '-' ? { instanceId: instance } : {}), resourceId: rest.join('/') };
}

const failing = isFailing;
const DAY = 86_400_000;

export function planImports(findings: readonly Finding[], active: ReadonlyMap<string, AwsSecurityFinding>, scope: PublishScope, opts: { now: Date; refreshDays: number }): Plan {
  const now = opts.now.toISOString();
  const plan: Plan = { imports: [], counts: { new: 0, changed: 0, refreshed: 0, unchanged: 0, resolved: 0, archived: 0, keptUnavailable: 0, outOfScope: 0 }, newFailures: [], resolvedIds: [] };
  const current = new Set<string>();
  for (const f of findings) {
    if (f.accountId !== scope.accountId || f.region !== scope.region) continue;
    const id = findingId(f);
    current.add(id);
    const prev = active.get(id);
    const prevStatus = prev?.Compliance?.Status;
    if (f.status === 'NOT_AVAILABLE' && failing(prevStatus)) {
      plan.counts.keptUnavailable++;
      continue;
    }
    if (failing(f.status) && !failing(prevStatus)) plan.newFailures.push(id);
    if (!prev) {
      plan.counts.new++;
      plan.imports.push(() => toAsff(f, { now }));
      continue;
    }
    const firstSeen = prev.FirstObservedAt ?? prev.CreatedAt;
    const same = prev.ProductFields?.['influxguard/Digest'] === digest(f) && prev.RecordState === 'ACTIVE';
    const stale = !prev.UpdatedAt || opts.now.getTime() - Date.parse(prev.UpdatedAt) >= opts.refreshDays * DAY;
    if (same && !stale) {
      plan.counts.unchanged++;
      continue;
    }
    plan.counts[same ? 'refreshed' : 'changed']++;
    plan.imports.push(() => toAsff(f, { now, ...(firstSeen ? { firstSeen } : {}) }));
  }

  for (const [id, prev] of active) {
    if (current.has(id)) continue;
    const parts = parseFindingId(id);
    if (!parts || parts.accountId !== scope.accountId || parts.region !== scope.region || !scope.checkIds.has(parts.checkId)) {
      plan.counts.outOfScope++;
      continue;
    }
    const instanceSeen = parts.instanceId === undefined || scope.instanceIds.has(parts.instanceId);
    const otherUnit = parts.instanceId !== undefined && !instanceSeen && scope.knownInstanceIds?.has(parts.instanceId) === true;
    if ((!instanceSeen && !scope.complete) || otherUnit) {
      plan.counts.outOfScope++; // a partial scan says nothing about instances it did not look at
      continue;
    }
    if (!instanceSeen) {
      plan.counts.archived++;
      plan.imports.push(() => ({ ...prev, UpdatedAt: now, RecordState: 'ARCHIVED' }));
      continue;
    }
    if (!failing(prev.Compliance?.Status)) continue; // already passing or unknown: nothing to resolve
    plan.counts.resolved++;
    plan.resolvedIds.push(id);
    plan.imports.push(() => ({
      ...prev,
      UpdatedAt: now,
      LastObservedAt: now,
      Compliance: { Status: 'PASSED' },
      Severity: { Label: 'INFORMATIONAL', Original: 'INFORMATIONAL' },
      FindingProviderFields: { ...(prev.FindingProviderFields ?? {}), Severity: { Label: 'INFORMATIONAL', Original: 'INFORMATIONAL' } },
      Description: `PASSED: no longer observed on ${now}. Previously: ${prev.Description ?? ''}`.slice(0, 1024),
      ProductFields: { ...(prev.ProductFields ?? {}), 'influxguard/Digest': 'resolved' },
    }));
  }
  return plan;
}
