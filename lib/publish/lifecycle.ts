/**
 * The Security Hub lifecycle (pure): given this scan's findings for one
 * account × region and the ACTIVE findings influxguard already has there,
 * decide what to import. Resolution is by evidence, never by absence:
 *
 * - new, or changed (status, severity, title, resource: recomputed from the
 *   finding's own fields, never from a value read back) → imported, CreatedAt kept;
 * - unchanged → re-imported only when older than the refresh interval;
 * - a check not evaluated on complete evidence for an instance in this scan
 *   (NOT_AVAILABLE anywhere in it, a source that failed, a deadline, a check
 *   not run) leaves every earlier finding of that instance × check exactly as
 *   it was, whatever resource ids they carry; its NOT_AVAILABLE finding is
 *   imported only when nothing was known of that pair before;
 * - earlier FAILED/WARNING, not produced now, check evaluated on complete
 *   evidence for that instance → imported as PASSED;
 * - an earlier NOT_AVAILABLE placeholder superseded by a complete evaluation → ARCHIVED;
 * - any finding of an instance verifiably gone (absent from a complete
 *   discovery of its region, or from a describe by its id) → ARCHIVED.
 */
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { assessmentKey, isFailing, SEVERITIES, severityRank, type Finding, type Severity } from '../model.js';
import { DAY_MS } from '../util/time.js';
import { GENERATOR_PREFIX, findingId, sameAsImported, toAsff } from './asff.js';

export interface PublishScope {
  accountId: string;
  region: string;
  /** Instance × check pairs this scan evaluated on complete evidence (`assessmentKey`). */
  assessed: ReadonlySet<string>;
  /** Whether the instance is verifiably gone (its findings are archived). */
  isGone: (instanceId: string) => boolean;
}

export interface Plan {
  /** What to import, each built when its batch is sent (thousands of ASFF documents are never held at once). */
  imports: (() => AwsSecurityFinding)[];
  counts: {
    new: number;
    changed: number;
    refreshed: number;
    unchanged: number;
    resolved: number;
    archived: number;
    keptUnavailable: number;
    outOfScope: number;
  };
  /** Ids that are FAILED/WARNING now and were not before (for the SNS summary). */
  newFailures: string[];
  /**
   * Ids whose finding in Security Hub claims an `UpdatedAt` in the future: not
   * ours (Security Hub ignores an update older than what it holds, so a forged
   * future date would freeze the finding). Reported, never silently "imported".
   */
  tampered: string[];
  resolvedIds: string[];
}

/** `influxguard/<account>/<region>/<checkId>/<instance>/<resource>` → its parts. */
export function parseFindingId(
  id: string,
): { accountId: string; region: string; checkId: string; instanceId?: string; resourceId: string } | undefined {
  if (!id.startsWith(GENERATOR_PREFIX)) return undefined;
  const [accountId, region, checkId, instance, ...rest] = id.slice(GENERATOR_PREFIX.length).split('/');
  if (!accountId || !region || !checkId || !instance || !rest.length) return undefined;
  return { accountId, region, checkId, ...(instance !== '-' ? { instanceId: instance } : {}), resourceId: rest.join('/') };
}

const failing = isFailing;
/** Clock skew tolerated before an `UpdatedAt` counts as written by someone else. */
const CLOCK_SKEW_MS = 5 * 60_000;

/** The severity Security Hub holds for an earlier finding (the provider's, as imported). */
const heldSeverity = (prev: AwsSecurityFinding | undefined): Severity => {
  const label = prev?.FindingProviderFields?.Severity?.Label ?? prev?.Severity?.Label;
  return (SEVERITIES as readonly string[]).includes(label ?? '') ? (label as Severity) : 'INFORMATIONAL';
};

/** The instance × check pair an earlier finding belongs to, from its Id. */
function pairOf(id: string, scope: PublishScope): { pair: string; instanceId?: string } | undefined {
  const parts = parseFindingId(id);
  if (!parts || parts.accountId !== scope.accountId || parts.region !== scope.region) return undefined;
  return { pair: assessmentKey(parts.instanceId, parts.checkId), ...(parts.instanceId ? { instanceId: parts.instanceId } : {}) };
}

export function planImports(
  findings: readonly Finding[],
  active: ReadonlyMap<string, AwsSecurityFinding>,
  scope: PublishScope,
  opts: { now: Date; refreshDays: number },
  /** `findingId` of each of `findings`, when the caller has them already. */
  ids?: readonly string[],
): Plan {
  const now = opts.now.toISOString();
  const plan: Plan = {
    imports: [],
    counts: { new: 0, changed: 0, refreshed: 0, unchanged: 0, resolved: 0, archived: 0, keptUnavailable: 0, outOfScope: 0 },
    newFailures: [],
    resolvedIds: [],
    tampered: [],
  };
  // Pairs Security Hub already knows something about: their earlier findings are never replaced by "unknown".
  const known = new Set<string>();
  for (const id of active.keys()) {
    const p = pairOf(id, scope);
    if (p) known.add(p.pair);
  }
  // Belt and braces: a pair with a NOT_AVAILABLE finding is never complete, whatever the scope says.
  const unavailable = new Set<string>();
  for (const f of findings)
    if (f.status === 'NOT_AVAILABLE' && f.accountId === scope.accountId && f.region === scope.region)
      unavailable.add(assessmentKey(f.instanceId, f.checkId));
  const evaluated = (pair: string) => scope.assessed.has(pair) && !unavailable.has(pair);
  const current = new Set<string>();
  for (const [i, f] of findings.entries()) {
    if (f.accountId !== scope.accountId || f.region !== scope.region) continue;
    const id = ids?.[i] ?? findingId(f);
    current.add(id);
    const pair = assessmentKey(f.instanceId, f.checkId);
    const prev = active.get(id);
    if (prev?.UpdatedAt && Date.parse(prev.UpdatedAt) > opts.now.getTime() + CLOCK_SKEW_MS) {
      plan.tampered.push(id);
      continue;
    }
    // Not evaluated on complete evidence: only a failure observed now may be written; nothing earlier is lowered.
    const lowered = failing(f.status) && failing(prev?.Compliance?.Status) && severityRank(f.severity) < severityRank(heldSeverity(prev));
    const held =
      !evaluated(pair) && (f.status === 'NOT_AVAILABLE' ? known.has(pair) : (!failing(f.status) && prev !== undefined) || lowered);
    if (held) {
      plan.counts.keptUnavailable++;
      continue;
    }
    const prevStatus = prev?.Compliance?.Status;
    if (failing(f.status) && !failing(prevStatus)) plan.newFailures.push(id);
    if (!prev) {
      plan.counts.new++;
      plan.imports.push(() => toAsff(f, { now }));
      continue;
    }
    const firstSeen = prev.FirstObservedAt ?? prev.CreatedAt;
    const same = sameAsImported(prev, f);
    const stale = !prev.UpdatedAt || opts.now.getTime() - Date.parse(prev.UpdatedAt) >= opts.refreshDays * DAY_MS;
    if (same && !stale) {
      plan.counts.unchanged++;
      continue;
    }
    plan.counts[same ? 'refreshed' : 'changed']++;
    plan.imports.push(() => toAsff(f, { now, ...(firstSeen ? { firstSeen } : {}) }));
  }

  for (const [id, prev] of active) {
    if (current.has(id)) continue;
    const p = pairOf(id, scope);
    if (!p) {
      plan.counts.outOfScope++;
      continue;
    }
    if (p.instanceId !== undefined && scope.isGone(p.instanceId)) {
      plan.counts.archived++;
      plan.imports.push(() => ({ ...prev, UpdatedAt: now, RecordState: 'ARCHIVED' }));
      continue;
    }
    if (!evaluated(p.pair)) {
      plan.counts.outOfScope++; // not evaluated on complete evidence now: left exactly as it was
      continue;
    }
    const status = prev.Compliance?.Status;
    if (status === 'NOT_AVAILABLE') {
      plan.counts.archived++; // a placeholder for "unknown", superseded by a complete evaluation
      plan.imports.push(() => ({ ...prev, UpdatedAt: now, RecordState: 'ARCHIVED' }));
      continue;
    }
    if (!failing(status)) continue; // already passing: nothing to resolve
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
    }));
  }
  return plan;
}
