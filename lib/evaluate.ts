/**
 * The evaluate stage: runs every registered check over gathered evidence and
 * turns outcomes into findings. Pure: no SDK, no network, no clock. A check
 * whose evidence failed, or that throws, yields NOT_AVAILABLE with the reason;
 * nothing is ever dropped.
 */
import { relatedRequirements } from './checks/compliance.js';
import { EvidenceUnavailable } from './checks/support.js';
import { oneLine } from './errors.js';
import { flat, intern } from './util/text.js';
import { assessmentKey, isFailing, raiseSeverity } from './model.js';
import type {
  Check,
  CheckMeta,
  DatabaseContext,
  EndpointCheck,
  EndpointContext,
  Finding,
  InstanceCheck,
  InstanceContext,
  Outcome,
  ProbeEvidence,
  RegionCheck,
  RegionContext,
  RegionFailure,
  ResourceRef,
  Result,
  Severity,
  Status,
  SubjectRef,
} from './model.js';
import { ec2InstanceSubject } from './kinds/ec2-instance/subject.js';
import { timestreamDbSubject } from './kinds/timestream-db/subject.js';

const severityFor = (meta: CheckMeta, o: Outcome): Severity => o.severity ?? (isFailing(o.status) ? meta.severity : 'INFORMATIONAL');

function unavailable(reason: string, resource?: ResourceRef): Outcome {
  return { status: 'NOT_AVAILABLE', summary: `not evaluated: ${reason}`, details: { reason }, ...(resource ? { resource } : {}) };
}

interface Run {
  outcomes: Outcome[];
  /** False when the check had no evidence gathered at all: it said nothing. */
  assessed: boolean;
  /** Evaluated on complete evidence: nothing it read failed, no outcome is NOT_AVAILABLE. */
  complete: boolean;
}

type Runnable<Ctx> = { needs: readonly string[]; decidedBy?: readonly string[]; evaluate: (c: Ctx) => Outcome[] };

/**
 * Run one check. Silent when none of its evidence was gathered in this scan;
 * NOT_AVAILABLE when every gathered key failed, or when it throws.
 */
function run<Ctx>(check: Runnable<Ctx>, ctx: Ctx, evidence: Record<string, Result<unknown> | undefined>): Run {
  const gathered = check.needs.map((k) => evidence[k]).filter((r): r is Result<unknown> => r !== undefined);
  if (!gathered.length) return { outcomes: [], assessed: false, complete: false };
  const failed = gathered.filter((r): r is { ok: false; reason: string } => !r.ok);
  if (failed.length === gathered.length) {
    // One reason as it is; several each named by its evidence ("probe: …; host: …"), never a bare "; …" suffix.
    const reasons = new Map(check.needs.flatMap((k) => (evidence[k] && !evidence[k].ok ? [[evidence[k].reason, k] as const] : [])));
    const reason = reasons.size === 1 ? [...reasons.keys()][0]! : [...reasons].map(([r, k]) => `${k}: ${r}`).join('; ');
    return { outcomes: [unavailable(reason)], assessed: true, complete: false };
  }
  let outcomes: Outcome[];
  try {
    outcomes = check.evaluate(ctx);
  } catch (err) {
    const reason = err instanceof EvidenceUnavailable ? err.reason : `check failed: ${oneLine(err)}`;
    return { outcomes: [unavailable(reason)], assessed: true, complete: false };
  }
  const sound = !failed.length || (check.decidedBy?.length && check.decidedBy.every((k) => evidence[k]?.ok === true));
  return { outcomes, assessed: true, complete: !!sound && outcomes.every((o) => o.status !== 'NOT_AVAILABLE' && !o.incomplete) };
}

/** One `compliance` object per requirement list (itself one per check), shared by the check's findings. */
const compliances = new WeakMap<readonly string[], NonNullable<Finding['compliance']>>();
function complianceOf(meta: CheckMeta): Finding['compliance'] {
  const related = relatedRequirements(meta);
  if (!related.length) return undefined;
  const known = compliances.get(related);
  if (known) return known;
  const compliance = { relatedRequirements: related };
  compliances.set(related, compliance);
  return compliance;
}

function toFinding(
  meta: CheckMeta,
  o: Outcome,
  where: Pick<Finding, 'accountId' | 'region' | 'instanceId' | 'endpoint'>,
  fallback: ResourceRef,
): Finding {
  const status: Status = o.status;
  const compliance = complianceOf(meta);
  const evidence: Record<string, unknown> = {
    summary: o.summary,
    ...(o.details ?? {}),
    ...(o.incomplete ? { incomplete: o.incomplete } : {}),
  };
  // Its own text held flat and, where it recurs, shared (the findings of a fleet are held until the end of a scan;
  // nested values are the inventory's own).
  for (const [k, v] of Object.entries(evidence)) if (typeof v === 'string') evidence[k] = intern(flat(v));
  return {
    checkId: meta.id,
    status,
    severity: severityFor(meta, o),
    title: meta.title,
    ...(where.accountId !== undefined ? { accountId: where.accountId } : {}),
    ...(where.region !== undefined ? { region: where.region } : {}),
    ...(where.instanceId !== undefined ? { instanceId: where.instanceId } : {}),
    resource: o.resource ?? fallback,
    ...(where.endpoint !== undefined ? { endpoint: where.endpoint } : {}),
    evidence,
    remediation: meta.remediation,
    ...(compliance ? { compliance } : {}),
  };
}

const isRegionCheck = (c: Check): c is RegionCheck => c.scope === 'region';
const isEndpointCheck = (c: Check): c is EndpointCheck => c.scope === 'endpoint';

type Where = Pick<Finding, 'accountId' | 'region' | 'instanceId' | 'endpoint'>;
type ScopedCheck<Ctx> = CheckMeta & Runnable<Ctx> & { appliesTo?: (c: Ctx) => boolean };

/**
 * Receives the assessment key (see `assessmentKey`) of every check evaluated
 * on complete evidence: only those may resolve an earlier failure.
 */
export type Assessed = Set<string>;

/**
 * The one loop every scope shares: applicable checks, run, outcomes → findings.
 * A check that does not apply, or had no evidence, is not assessed: its
 * earlier findings are left as they were.
 */
function evaluateScope<Ctx extends { evidence: object }>(
  checks: readonly ScopedCheck<Ctx>[],
  ctx: Ctx,
  where: Where,
  fallback: ResourceRef,
  assessed?: Assessed,
  evidence: Record<string, Result<unknown> | undefined> = ctx.evidence as Record<string, Result<unknown> | undefined>,
): Finding[] {
  return checks
    .filter((c) => !c.appliesTo || c.appliesTo(ctx))
    .flatMap((c) => {
      const r = run(c, ctx, evidence);
      if (r.complete) assessed?.add(assessmentKey(where.instanceId, c.id));
      return r.outcomes.map((o) => toFinding(c, o, where, fallback));
    });
}

/**
 * Endpoint checks over one probed endpoint. When the instance behind it is
 * reachable from the internet (a complete path to 8086, CHECKS.md), failing
 * findings are raised one severity level and say why; when that could not be
 * decided, failing findings say so and leave earlier answers as they were.
 */
export function evaluateEndpoint(checks: readonly Check[], ctx: EndpointContext, assessed?: Assessed): Finding[] {
  const subject = ctx.subject;
  const at = ctx.endpoint !== undefined ? { endpoint: ctx.endpoint } : {};
  const where = { ...(subject ? { accountId: subject.accountId, region: subject.region, instanceId: subject.id } : {}), ...at };
  const self: ResourceRef = subject?.resource ?? { type: 'Other', id: ctx.endpoint ?? 'unknown' };
  // An endpoint that was not probed has no probe evidence: only checks the host can also answer speak.
  const evidence = { probe: ctx.probed ? ctx.evidence.probe : undefined, host: ctx.evidence.host, audit: ctx.evidence.audit };
  const local: Assessed = new Set();
  const findings = evaluateScope(checks.filter(isEndpointCheck), ctx, where, self, local, evidence);
  for (const f of findings.filter((x) => isFailing(x.status))) {
    if (ctx.internetExposed) {
      f.severity = raiseSeverity(f.severity);
      f.evidence.severityRaised = subject?.exposure ?? DIRECT_EXPOSURE;
    } else if (ctx.exposureUnknown) {
      // Whether the severity should be raised is unknown: this answer must not lower an earlier, raised one.
      f.evidence.incomplete = `reachability from the internet could not be decided: ${ctx.exposureUnknown}`;
      local.delete(assessmentKey(where.instanceId, f.checkId));
    }
  }
  for (const k of local) assessed?.add(k);
  if (subject?.evidence) for (const f of findings) Object.assign(f.evidence, subject.evidence);
  return findings;
}

/** Why an exposed endpoint's failing findings are raised, when no subject says otherwise. */
const DIRECT_EXPOSURE = 'TCP 8086 is reachable from the internet (a complete path, see net.http-port-public)';

/**
 * One subject of any kind (lib/kinds/): the checks of its kind's scope; its findings carry its identity
 * (`instanceId`, the resource when a check names none) and the evidence its kind adds.
 */
export function evaluateSubject<Ctx extends { evidence: object }>(
  checks: readonly Check[],
  scope: Check['scope'],
  subject: SubjectRef,
  ctx: Ctx,
  assessed?: Assessed,
): Finding[] {
  const findings = evaluateScope(
    checks.filter((c) => c.scope === scope) as unknown as ScopedCheck<Ctx>[],
    ctx,
    { accountId: subject.accountId, region: subject.region, instanceId: subject.id },
    subject.resource,
    assessed,
  );
  if (subject.evidence) for (const f of findings) Object.assign(f.evidence, subject.evidence);
  return findings;
}

/** An EC2 instance's `instance` checks (what the scan does for the `ec2-instance` kind). */
export const evaluateInstance = (checks: readonly Check[], ctx: InstanceContext, assessed?: Assessed): Finding[] =>
  evaluateSubject(checks, 'instance', ec2InstanceSubject(ctx.instance), ctx, assessed);

/** A Timestream for InfluxDB instance's or cluster's `database` checks (the `timestream-db` kind). */
export const evaluateDatabase = (checks: readonly Check[], ctx: DatabaseContext, assessed?: Assessed): Finding[] =>
  evaluateSubject(checks, 'database', timestreamDbSubject(ctx.db), ctx, assessed);

/**
 * `influxguard probe` alone (no AWS, no host): the subject checks whose evidence includes the probe (CHECKS.md:
 * `host.version-vulnerable`, host and probe), judged on an answered probe alone, as endpoint findings. A check the
 * probe cannot decide says nothing (a 1.x/2.x version header may be a proxy's; a 3.x 401 tells no version).
 */
export function evaluateProbeOnly(checks: readonly Check[], endpoint: string, probe: Result<ProbeEvidence>): Finding[] {
  if (!probe.ok) return [];
  const ctx = { evidence: { probe } };
  // The subject checks (neither region nor endpoint checks) whose evidence includes the probe.
  const probed = checks.filter(
    (c): c is InstanceCheck => !isRegionCheck(c) && !isEndpointCheck(c) && (c.needs as readonly string[]).includes('probe'),
  );
  return evaluateScope(probed as unknown as ScopedCheck<typeof ctx>[], ctx, { endpoint }, { type: 'Other', id: endpoint });
}

export function evaluateRegion(checks: readonly Check[], ctx: RegionContext, assessed?: Assessed): Finding[] {
  return evaluateScope(
    checks.filter(isRegionCheck),
    ctx,
    { accountId: ctx.accountId, region: ctx.region },
    { type: 'AwsAccount', id: ctx.accountId },
    assessed,
  );
}

/**
 * A region whose instances could not be listed: every AWS-evidence check says
 * so, once, at account level. `applies`: only the subjects of one kind could
 * not be listed, and these are the checks that speak of them (`appliesToKind`).
 */
export function evaluateRegionFailure(checks: readonly Check[], failure: RegionFailure, applies?: (c: Check) => boolean): Finding[] {
  const account: ResourceRef = { type: 'AwsAccount', id: failure.accountId };
  return checks
    .filter((c) => (applies ? applies(c) : c.evidence.includes('aws')))
    .map((c) => toFinding(c, unavailable(failure.reason), { accountId: failure.accountId, region: failure.region }, account));
}
