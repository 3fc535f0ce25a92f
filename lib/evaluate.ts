/**
 * The evaluate stage: runs every registered check over gathered evidence and
 * turns outcomes into findings. Pure: no SDK, no network, no clock. A check
 * whose evidence failed, or that throws, yields NOT_AVAILABLE with the reason;
 * nothing is ever dropped.
 */
import { EvidenceUnavailable } from './checks/support.js';
import { oneLine } from './errors.js';
import { isFailing, raiseSeverity } from './model.js';
import type {
  Check,
  CheckMeta,
  EndpointCheck,
  EndpointContext,
  Finding,
  InstanceCheck,
  InstanceContext,
  Outcome,
  RegionCheck,
  RegionContext,
  RegionFailure,
  ResourceRef,
  Result,
  Severity,
  Status,
} from './model.js';

const severityFor = (meta: CheckMeta, o: Outcome): Severity =>
  o.severity ?? (isFailing(o.status) ? meta.severity : 'INFORMATIONAL');

function unavailable(reason: string, resource?: ResourceRef): Outcome {
  return { status: 'NOT_AVAILABLE', summary: `not evaluated: ${reason}`, details: { reason }, ...(resource ? { resource } : {}) };
}

/** Run one check: NOT_AVAILABLE when every evidence key it needs failed, or when it throws. */
function run<Ctx>(check: { needs: readonly string[]; evaluate: (c: Ctx) => Outcome[] }, ctx: Ctx, evidence: Record<string, Result<unknown> | undefined>): Outcome[] {
  const needed = check.needs.map((k) => evidence[k]);
  const missing = needed.filter((r): r is { ok: false; reason: string } => !r || !r.ok);
  if (missing.length === needed.length && needed.length > 0) {
    return [unavailable([...new Set(needed.map((r) => (r && !r.ok ? r.reason : 'not gathered')))].join('; '))];
  }
  try {
    return check.evaluate(ctx);
  } catch (err) {
    if (err instanceof EvidenceUnavailable) return [unavailable(err.reason)];
    return [unavailable(`check failed: ${oneLine(err)}`)];
  }
}

function toFinding(meta: CheckMeta, o: Outcome, where: Pick<Finding, 'accountId' | 'region' | 'instanceId' | 'endpoint'>, fallback: ResourceRef): Finding {
  const status: Status = o.status;
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
    evidence: { summary: o.summary, ...(o.details ?? {}) },
    remediation: meta.remediation,
  };
}

const isInstanceCheck = (c: Check): c is InstanceCheck => c.scope === 'instance';
const isRegionCheck = (c: Check): c is RegionCheck => c.scope === 'region';
const isEndpointCheck = (c: Check): c is EndpointCheck => c.scope === 'endpoint';

type Where = Pick<Finding, 'accountId' | 'region' | 'instanceId' | 'endpoint'>;
type ScopedCheck<Ctx> = CheckMeta & { appliesTo?: (c: Ctx) => boolean; needs: readonly string[]; evaluate: (c: Ctx) => Outcome[] };

/** The one loop every scope shares: applicable checks, run, outcomes → findings. */
function evaluateScope<Ctx extends { evidence: object }>(
  checks: readonly ScopedCheck<Ctx>[],
  ctx: Ctx,
  where: Where,
  fallback: ResourceRef,
): Finding[] {
  return checks
    .filter((c) => !c.appliesTo || c.appliesTo(ctx))
    .flatMap((c) => run(c, ctx, ctx.evidence as unknown as Record<string, Result<unknown>>).map((o) => toFinding(c, o, where, fallback)));
}

/**
 * Endpoint checks over one probed endpoint. When the instance behind it is
 * reachable from the internet (8086 world-open and a public address), failing
 * findings are raised one severity level and say why.
 */
export function evaluateEndpoint(checks: readonly Check[], ctx: EndpointContext): Finding[] {
  const i = ctx.instance;
  const at = ctx.endpoint !== undefined ? { endpoint: ctx.endpoint } : {};
  const where = i ? { accountId: i.accountId, region: i.region, instanceId: i.instanceId, ...at } : at;
  const self: ResourceRef = i ? { type: 'AwsEc2Instance', id: i.instanceId } : { type: 'Other', id: ctx.endpoint ?? 'unknown' };
  // Without a probe, only checks the host can also answer speak.
  const speaking = checks.filter(isEndpointCheck).filter((c) => ctx.probed || (c.needs.includes('host') && ctx.evidence.host !== undefined));
  const findings = evaluateScope(speaking, ctx, where, self);
  if (ctx.internetExposed) {
    for (const f of findings.filter((x) => isFailing(x.status))) {
      f.severity = raiseSeverity(f.severity);
      f.evidence.severityRaised = 'TCP 8086 is open to the world and the instance has a public address';
    }
  }
  return findings;
}

export function evaluateInstance(checks: readonly Check[], ctx: InstanceContext): Finding[] {
  const { instance } = ctx;
  return evaluateScope(checks.filter(isInstanceCheck), ctx, { accountId: instance.accountId, region: instance.region, instanceId: instance.instanceId }, { type: 'AwsEc2Instance', id: instance.instanceId });
}

export function evaluateRegion(checks: readonly Check[], ctx: RegionContext): Finding[] {
  return evaluateScope(checks.filter(isRegionCheck), ctx, { accountId: ctx.accountId, region: ctx.region }, { type: 'AwsAccount', id: ctx.accountId });
}

/** A region whose instances could not be listed: every AWS-evidence check says so, once, at account level. */
export function evaluateRegionFailure(checks: readonly Check[], failure: RegionFailure): Finding[] {
  const account: ResourceRef = { type: 'AwsAccount', id: failure.accountId };
  return checks
    .filter((c) => c.evidence.includes('aws'))
    .map((c) => toFinding(c, unavailable(failure.reason), { accountId: failure.accountId, region: failure.region }, account));
}
