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
import { kindOfSubject } from '../kinds/outputs.js';
import { DAY_MS } from '../util/time.js';
import { GENERATOR_PREFIX, HeldFinding, findingId, idHash, sameAsImported, toAsff } from '../findings/asff.js';

export interface PublishScope {
  accountId: string;
  region: string;
  /** Instance × check pairs this scan evaluated on complete evidence (`assessmentKey`). */
  assessed: ReadonlySet<string>;
  /** Whether the instance is verifiably gone (its findings are archived). */
  isGone: (instanceId: string) => boolean;
}

/** An ACTIVE finding Security Hub holds: whole, or (when this scan produces it again) as a HeldFinding. */
export type Held = AwsSecurityFinding | HeldFinding;

export interface Plan {
  /** How many findings `imports` yields. */
  importCount: number;
  /**
   * What to import, each ASFF document built when its batch is drawn: a fleet's documents are never
   * held at once, and the plan itself keeps one byte per finding, not a closure.
   */
  imports: () => Generator<AwsSecurityFinding>;
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
  /** Findings that are FAILED/WARNING now and were not before (for the SNS summary), by their ids' `idHash`. */
  newFailures: number[];
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
  const [accountId, region, checkId, ...tail] = id.slice(GENERATOR_PREFIX.length).split('/');
  // A subject id may hold slashes (an ECS service ARN): the shortest run of segments a kind owns, else one segment.
  let n = 1;
  for (let k = 1; k < Math.min(tail.length, 8); k++)
    if (kindOfSubject(tail.slice(0, k).join('/'))) {
      n = k;
      break;
    }
  const instance = tail.slice(0, n).join('/');
  const rest = tail.slice(n);
  if (!accountId || !region || !checkId || !instance || !rest.length) return undefined;
  return { accountId, region, checkId, ...(instance !== '-' ? { instanceId: instance } : {}), resourceId: rest.join('/') };
}

const failing = isFailing;
/** Clock skew tolerated before an `UpdatedAt` counts as written by someone else. */
const CLOCK_SKEW_MS = 5 * 60_000;

const statusOf = (prev: Held | undefined) => (prev instanceof HeldFinding ? prev.status : prev?.Compliance?.Status);
const updatedAtOf = (prev: Held) => (prev instanceof HeldFinding ? prev.updatedAt : prev.UpdatedAt);
const firstSeenOf = (prev: Held) => (prev instanceof HeldFinding ? prev.firstSeen : (prev.FirstObservedAt ?? prev.CreatedAt));

/** The severity Security Hub holds for an earlier finding (the provider's, as imported). */
const heldSeverity = (prev: Held | undefined): Severity => {
  const label = prev instanceof HeldFinding ? prev.severity : (prev?.FindingProviderFields?.Severity?.Label ?? prev?.Severity?.Label);
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
  active: ReadonlyMap<string, Held>,
  scope: PublishScope,
  opts: { now: Date; refreshDays: number },
): Plan {
  const now = opts.now.toISOString();
  const plan: Omit<Plan, 'importCount' | 'imports'> = {
    counts: { new: 0, changed: 0, refreshed: 0, unchanged: 0, resolved: 0, archived: 0, keptUnavailable: 0, outOfScope: 0 },
    newFailures: [],
    resolvedIds: [],
    tampered: [],
  };
  const { counts } = plan;
  // Belt and braces: a pair with a NOT_AVAILABLE finding is never complete, whatever the scope says.
  const unavailable = new Set<string>();
  for (const f of findings)
    if (f.status === 'NOT_AVAILABLE' && f.accountId === scope.accountId && f.region === scope.region)
      unavailable.add(assessmentKey(f.instanceId, f.checkId));
  // Of those pairs, the ones Security Hub already knows something about: their earlier findings are never replaced by "unknown".
  const known = new Set<string>();
  if (unavailable.size)
    for (const id of active.keys()) {
      const p = pairOf(id, scope);
      if (p && unavailable.has(p.pair)) known.add(p.pair);
    }
  const evaluated = (pair: string) => scope.assessed.has(pair) && !unavailable.has(pair);
  // One byte per finding: imported (1) or not (0). The earlier findings this scan produces again (no id strings kept).
  const imported = new Uint8Array(findings.length);
  const matched = new Set<Held>();
  for (const [i, f] of findings.entries()) {
    if (f.accountId !== scope.accountId || f.region !== scope.region) continue;
    const id = findingId(f);
    const pair = assessmentKey(f.instanceId, f.checkId);
    const prev = active.get(id);
    if (prev) matched.add(prev);
    const updatedAt = prev && updatedAtOf(prev);
    if (updatedAt && Date.parse(updatedAt) > opts.now.getTime() + CLOCK_SKEW_MS) {
      plan.tampered.push(id);
      continue;
    }
    // Not evaluated on complete evidence: only a failure observed now may be written; nothing earlier is lowered.
    const prevStatus = statusOf(prev);
    const lowered = failing(f.status) && failing(prevStatus) && severityRank(f.severity) < severityRank(heldSeverity(prev));
    const held =
      !evaluated(pair) && (f.status === 'NOT_AVAILABLE' ? known.has(pair) : (!failing(f.status) && prev !== undefined) || lowered);
    if (held) {
      counts.keptUnavailable++;
      continue;
    }
    if (failing(f.status) && !failing(prevStatus)) plan.newFailures.push(idHash(id));
    if (!prev) {
      counts.new++;
      imported[i] = 1;
      continue;
    }
    const same = sameAsImported(prev, f);
    const stale = !updatedAt || opts.now.getTime() - Date.parse(updatedAt) >= opts.refreshDays * DAY_MS;
    if (same && !stale) {
      counts.unchanged++;
      continue;
    }
    counts[same ? 'refreshed' : 'changed']++;
    imported[i] = 1;
  }

  // Earlier findings not produced now: archived (gone, or a superseded placeholder) or resolved; always whole documents.
  const later: { prev: AwsSecurityFinding; resolve: boolean }[] = [];
  for (const [id, prev] of active) {
    if (matched.has(prev)) continue;
    const p = pairOf(id, scope);
    // A HeldFinding is read only for an id this scan produces: should one be left over, it is left as it was.
    if (!p || prev instanceof HeldFinding) {
      counts.outOfScope++;
      continue;
    }
    if (p.instanceId !== undefined && scope.isGone(p.instanceId)) {
      counts.archived++;
      later.push({ prev, resolve: false });
      continue;
    }
    if (!evaluated(p.pair)) {
      counts.outOfScope++; // not evaluated on complete evidence now: left exactly as it was
      continue;
    }
    const status = prev.Compliance?.Status;
    if (status === 'NOT_AVAILABLE') {
      counts.archived++; // a placeholder for "unknown", superseded by a complete evaluation
      later.push({ prev, resolve: false });
      continue;
    }
    if (!failing(status)) continue; // already passing: nothing to resolve
    counts.resolved++;
    plan.resolvedIds.push(id);
    later.push({ prev, resolve: true });
  }
  const imports = function* (): Generator<AwsSecurityFinding> {
    for (const [i, f] of findings.entries()) {
      if (!imported[i]) continue;
      const prev = active.get(findingId(f));
      const firstSeen = prev && firstSeenOf(prev);
      yield toAsff(f, { now, ...(firstSeen ? { firstSeen } : {}) });
    }
    for (const { prev, resolve } of later)
      yield !resolve
        ? { ...prev, UpdatedAt: now, RecordState: 'ARCHIVED' }
        : {
            ...prev,
            UpdatedAt: now,
            LastObservedAt: now,
            Compliance: { Status: 'PASSED' },
            Severity: { Label: 'INFORMATIONAL', Original: 'INFORMATIONAL' },
            FindingProviderFields: {
              ...(prev.FindingProviderFields ?? {}),
              Severity: { Label: 'INFORMATIONAL', Original: 'INFORMATIONAL' },
            },
            Description: `PASSED: no longer observed on ${now}. Previously: ${prev.Description ?? ''}`.slice(0, 1024),
          };
  };
  return { ...plan, importCount: imported.reduce((n, x) => n + x, 0) + later.length, imports };
}
