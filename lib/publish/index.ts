/**
 * The publish stage: Security Hub with its lifecycle, then one SNS summary.
 * Acts on exactly what the scan covered: a region whose discovery failed is
 * left untouched, and within a region only instance × check pairs evaluated
 * on complete evidence can resolve anything (see lifecycle.ts).
 */
import type { Clients } from '../aws/clients.js';
import type { Config } from '../config.js';
import { oneLine } from '../errors.js';
import { mapLimit } from '../util/concurrency.js';
import { isFailing, type Coverage, type Finding, type Instance, type ScanResult } from '../model.js';
import { findingId, idHash, sortedIdHashes } from '../findings/asff.js';
import { kindOfSubject } from '../kinds/outputs.js';
import { parseFindingId, planImports, type Held, type Plan, type PublishScope } from './lifecycle.js';
import { importFindings, readActive, type ImportOptions } from './securityhub.js';
import { syncSuppressions, type SuppressionRecord } from './suppressions.js';
import { asSuppressions, entryName, suppressionState } from '../suppress.js';
import { buildSummary, publishSummary, shouldNotify, type Changes, type SummaryInput } from './sns.js';

export interface PublishReport {
  /** The lifecycle's counts (lifecycle.ts), summed over the regions, and what the transport did. */
  securityHub: Omit<Plan['counts'], 'outOfScope'> & {
    imported: number;
    batchImportCalls: number;
    /** Findings set SUPPRESSED for an active suppression, and findings the scanner reopened (lib/publish/suppressions.ts). */
    suppressed: number;
    reopened: number;
    failed: { id: string; reason: string }[];
    skippedRegions: { accountId: string; region: string; reason: string }[];
  };
  sns?: { sent: boolean; messageId?: string; subject: string; error?: string };
  /** Findings failing now that were not before (from the lifecycle). */
  newFailures: NewFailures;
}

/**
 * The new failures of a publish: how many, and whether a finding is one of them. Held as the ids' 48-bit hashes,
 * sorted (8 bytes an id: a first scan of thousands of instances has tens of thousands); a probe finding (no account
 * or region) is never published, so never new.
 */
export interface NewFailures {
  count: number;
  has(f: Pick<Finding, 'accountId' | 'region' | 'checkId' | 'instanceId' | 'resource'>): boolean;
}

function newFailuresOf(idHashes: readonly number[]): NewFailures {
  const hashes = Float64Array.from(idHashes).sort();
  return { count: hashes.length, has: (f) => !!f.accountId && !!f.region && sortedHas(hashes, idHash(findingId(f))) };
}

export interface PublishDeps {
  clients: Clients;
  now?: () => Date;
  importOptions?: ImportOptions;
  /**
   * Of the instances a scan did not see, those verifiably gone (terminated or
   * unknown to EC2), for an account × region; the entry points pass EC2's
   * answer (`goneInstances` in lib/discover/ec2.ts). Without it nothing is archived.
   */
  goneInstances?: (accountId: string, region: string, candidates: string[]) => Promise<Set<string>>;
  /** What the scanner suppressed (the stack's table); without it the scanner's note alone says so. */
  suppressionRecord?: SuppressionRecord;
}

type RegionOutcome = Partial<Omit<PublishReport['securityHub'], 'failed' | 'skippedRegions'>> &
  Pick<PublishReport['securityHub'], 'failed' | 'skippedRegions'> & { newFailures: Plan['newFailures'] };

/** Binary search in an ascending array. */
function sortedHas(sorted: Float64Array, x: number): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && sorted[lo] === x;
}

/**
 * What a region's coverage lets the lifecycle do. A subject is gone when a
 * describe by its id did not find it, or when a complete discovery of the
 * region listed neither it nor (for a work unit) any other unit, and its kind
 * was listed whole there (lib/kinds/<kind>/lifecycle.ts).
 */
export function publishScope(cov: Coverage): PublishScope {
  const seen = new Set(cov.instanceIds);
  const known = new Set(cov.knownInstanceIds ?? []);
  const gone = new Set(cov.goneInstanceIds);
  return {
    accountId: cov.accountId,
    region: cov.region,
    assessed: cov.assessed,
    isGone: (id) =>
      gone.has(id) || (cov.complete && !seen.has(id) && !known.has(id) && kindOfSubject(id)?.lifecycle.listedWhole(cov) === true),
  };
}

/** One account × region: read the current state, plan the lifecycle, import. */
async function publishRegion(result: ScanResult, cov: Coverage, config: Config, deps: PublishDeps, now: Date): Promise<RegionOutcome> {
  const out: RegionOutcome = { failed: [], skippedRegions: [], newFailures: [] };
  if (cov.failed) {
    out.skippedRegions.push({
      accountId: cov.accountId,
      region: cov.region,
      reason: `instances could not be listed (${cov.failed}): nothing imported, resolved or archived there`,
    });
    return out;
  }
  const client = await deps.clients.securityHub(cov.region);
  const findings = result.document.findings.filter((f) => f.accountId === cov.accountId && f.region === cov.region);
  let active: Map<string, Held>;
  try {
    // Findings produced again are read compactly (HeldFinding); whole documents only for what may be resolved or
    // archived. Which ids are produced is known by 48-bit hashes, sorted, while reading (8 bytes an id, not a set of
    // strings). Should another id share a hash, it is held compactly and left as it was (planImports): never resolved wrongly.
    const produced = sortedIdHashes(findings);
    active = await readActive(client, cov.accountId, cov.region, (id) => !sortedHas(produced, idHash(id)));
  } catch (err) {
    // Without the current state the lifecycle cannot be decided: import nothing rather than overwrite first-seen dates.
    const reason = `securityhub:GetFindings failed: ${oneLine(err, 200)}`;
    out.skippedRegions.push({ accountId: cov.accountId, region: cov.region, reason });
    for (const f of findings) out.failed.push({ id: findingId(f), reason });
    return out;
  }
  const scope = publishScope(cov);
  // Not seen is not gone: an EC2 instance is archived only when EC2 confirms it is terminated or unknown
  // (a Timestream database, when a complete listing of the region no longer has it: see publishScope).
  const seen = new Set<string>();
  for (const id of active.keys()) {
    const instanceId = parseFindingId(id)?.instanceId;
    if (instanceId !== undefined) seen.add(instanceId);
  }
  const candidates = [...seen].filter(scope.isGone);
  // A kind whose absence from a complete listing proves nothing alone (EC2: a describe by id confirms it).
  const confirmed = (id: string) => kindOfSubject(id)?.lifecycle.confirmGone === true;
  const gone = new Set(candidates.filter((id) => !confirmed(id)));
  const instances = candidates.filter(confirmed);
  if (instances.length && deps.goneInstances) {
    try {
      for (const id of await deps.goneInstances(cov.accountId, cov.region, instances)) gone.add(id);
    } catch (err) {
      out.skippedRegions.push({ accountId: cov.accountId, region: cov.region, reason: `no instance archived: ${oneLine(err, 200)}` });
    }
  }
  const plan = planImports(findings, active, { ...scope, isGone: (id) => gone.has(id) }, { now, refreshDays: config.publish.refreshDays });
  Object.assign(out, plan.counts, { newFailures: plan.newFailures });
  for (const id of plan.tampered)
    out.failed.push({
      id,
      reason:
        'Security Hub holds this finding with an UpdatedAt in the future (not written by influxguard); it ignores older updates: archive or delete it so the next scan can write it',
    });
  if (plan.importCount) {
    // Workflow and Note belong to BatchUpdateFindings (below): an import never carries them, so it never overwrites
    // a workflow a person set.
    const imports = (function* () {
      for (const { Workflow: _w, Note: _n, ...f } of plan.imports()) yield f;
    })();
    const r = await importFindings(client, imports, deps.importOptions);
    out.imported = r.imported;
    out.batchImportCalls = r.calls;
    out.failed.push(...r.failed);
  }
  const s = await syncSuppressions(client, findings, active, {
    accountId: cov.accountId,
    region: cov.region,
    ...(deps.suppressionRecord ? { record: deps.suppressionRecord } : {}),
    skip: new Set(out.failed.map((f) => f.id)),
  }).catch((err: unknown) => ({
    suppressed: 0,
    reopened: 0,
    failed: findings
      .filter((f) => f.suppression)
      .map((f) => ({ id: findingId(f), reason: `suppressions not recorded: ${oneLine(err, 200)}` })),
  }));
  out.suppressed = s.suppressed;
  out.reopened = s.reopened;
  out.failed.push(...s.failed);
  return out;
}

/** The Security Hub step: every covered account × region, side by side (its rate limits are per account and region). */
export async function publishSecurityHub(result: ScanResult, config: Config, deps: PublishDeps): Promise<Omit<PublishReport, 'sns'>> {
  const now = (deps.now ?? (() => new Date()))();
  const sh: PublishReport['securityHub'] = {
    imported: 0,
    suppressed: 0,
    reopened: 0,
    new: 0,
    changed: 0,
    refreshed: 0,
    unchanged: 0,
    resolved: 0,
    archived: 0,
    keptUnavailable: 0,
    batchImportCalls: 0,
    failed: [],
    skippedRegions: [],
  };
  const outcomes = await mapLimit(result.coverage, config.regionConcurrency, (cov) => publishRegion(result, cov, config, deps, now));
  for (const o of outcomes) {
    for (const k of [
      'imported',
      'suppressed',
      'reopened',
      'batchImportCalls',
      'new',
      'changed',
      'refreshed',
      'unchanged',
      'resolved',
      'archived',
      'keptUnavailable',
    ] as const)
      sh[k] += o[k] ?? 0;
    sh.failed.push(...o.failed);
    sh.skippedRegions.push(...o.skippedRegions);
  }
  return { securityHub: sh, newFailures: newFailuresOf(outcomes.flatMap((o) => o.newFailures)) };
}

/** What changed since the last scan, from the Security Hub step's counts. */
export function changesOf(
  failingNow: number,
  news: { count: number; has: Changes['isNew'] },
  resolved: number,
  notImported: number,
): Changes {
  return { newFailures: news.count, resolved, stillFailing: failingNow - news.count, isNew: news.has, notImported };
}

/** The notify step: one SNS summary to the configured topic (none without a topic), under the notify mode. */
export async function notify(
  input: SummaryInput,
  changes: Changes | undefined,
  config: Config,
  deps: Pick<PublishDeps, 'clients'>,
  instances: readonly Pick<Instance, 'instanceId' | 'name'>[] = [],
): Promise<PublishReport['sns']> {
  const topic = config.publish.snsTopicArn;
  if (!topic) return undefined;
  const soon = suppressionState(asSuppressions(config.suppressions), new Date()).expiringSoon;
  const expiring = soon.map((e) => `${entryName(e.entry, e.index)} expires on ${e.entry.expires}`);
  const summary = buildSummary(expiring.length ? { ...input, expiring } : input, changes, instances);
  if (!shouldNotify(summary, changes, config.publish.notify, config.publish.notifyMinSeverity))
    return { sent: false, subject: summary.subject };
  try {
    const messageId = await publishSummary(await deps.clients.sns(topic.split(':')[3]!), topic, summary);
    return { sent: true, subject: summary.subject, ...(messageId ? { messageId } : {}) };
  } catch (err) {
    return { sent: false, subject: summary.subject, error: `sns:Publish failed: ${oneLine(err, 200)}` };
  }
}

/** Both steps for one scan (the CLI): Security Hub, then the summary of what it changed. */
export async function publishScan(result: ScanResult, config: Config, deps: PublishDeps): Promise<PublishReport> {
  const report: PublishReport = await publishSecurityHub(result, config, deps);
  const failingNow = result.document.findings.filter((f) => isFailing(f.status)).length;
  const changes = changesOf(failingNow, report.newFailures, report.securityHub.resolved, report.securityHub.failed.length);
  const named = result.subjects.map((s) => ({ instanceId: s.id, ...(s.name !== undefined ? { name: s.name } : {}) }));
  const sns = await notify({ ...result.document, incomplete: result.incomplete }, changes, config, deps, named);
  return sns ? { ...report, sns } : report;
}
