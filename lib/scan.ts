/**
 * The pipeline for one account: identity → regions → per region
 * discover → gather → evaluate. A region that fails becomes NOT_AVAILABLE
 * findings; the scan goes on. Clients, clock, environment and ids are passed
 * in (the process's own are the defaults at this entry point, never read below it).
 */
import { randomUUID } from 'node:crypto';
import { DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { Clients } from './aws/clients.js';
import { CHECKS } from './checks/index.js';
import type { Config } from './config.js';
import { discoverRegionResources } from './discover/ec2.js';
import { discoverNetwork, facingGroupIds, listBalancers } from './discover/network.js';
import type { UserDataCache } from './discover/instance-data.js';
import { AwsCallError, toAwsCallError, usageError } from './errors.js';
import { applySuppressions, asSuppressions, suppressionState } from './suppress.js';
import { evaluateEndpoint, evaluateRegion, evaluateRegionFailure, evaluateSubject } from './evaluate.js';
import {
  auditSource,
  hostSource,
  objectStoreSource,
  sharedHost,
  probeSource,
  type AuditFn,
  type Deadline,
  type EvidenceSource,
  type HostFn,
  type ProbeFn,
} from './evidence/index.js';
import { gatherAudit, labNoted } from './evidence/audit/gather.js';
import { objectStoreReader } from './evidence/object-store.js';
import { gatheredSources } from './evidence/sources.js';
import { emulatedAws, gatherProbe, probeCidrs, probeOptions } from './evidence/probe/gather.js';
import { gatherRegion } from './kinds/gather.js';
import { KINDS, type AnyKind } from './kinds/index.js';
import type { DiscoverContext } from './kinds/kind.js';
import { appliesToKind, speaksOfKind, subjectsOf, wantedEvidence } from './kinds/kind.js';
import {
  assessmentKey,
  fail,
  ok,
  type Check,
  type Coverage,
  type Finding,
  type Instance,
  type RegionInventory,
  type ScanDocument,
  type ScanResult,
  type SubjectRef,
  type TimestreamDb,
} from './model.js';
import { sortFindings, summarise } from './summary.js';
import { mapLimit } from './util/concurrency.js';

export type Progress =
  | { kind: 'start'; accountId: string; regions: string[] }
  | { kind: 'region'; region: string; instances: number; findings: number; error?: string };

export interface ScanDeps {
  clients: Clients;
  /** Region for account-level calls (STS, DescribeRegions) and the default scan region. */
  homeRegion: string;
  /** The checks to run (default: every registered one); evidence no check of them reads is not gathered. */
  checks?: readonly Check[];
  /** The resource kinds to list, by registered name (default: every kind). */
  kinds?: readonly string[];
  now?: () => Date;
  newScanId?: () => string;
  onProgress?: (p: Progress) => void;
  /** How endpoints are probed; default: the real prober within config.probe.allowedCidrs. */
  probe?: ProbeFn;
  /** How host evidence is collected (SSM, or the local collector); none when absent. */
  host?: HostFn;
  /** A work unit of a fanned-out scan: these instances of the (single) region only. */
  unit?: UnitScope;
  /**
   * Epoch ms after which nothing new is started (no region, probe or host
   * collection): what was gathered is evaluated and returned, the rest is
   * NOT_AVAILABLE with the reason, so a caller keeps time to publish.
   */
  deadline?: number;
  /** The environment (AWS_ENDPOINT_URL decides whether probes are confined to loopback). */
  env?: NodeJS.ProcessEnv;
  /** How the credentialed audit runs; default: secrets from Secrets Manager, the real auditor. */
  audit?: AuditFn;
  /** Where user-data verdicts of running instances are kept between scans; default: this process. */
  userDataCache?: UserDataCache;
}

export const DEADLINE_REASON = 'not gathered: the scan deadline was reached first (time was kept to publish what was gathered)';

export interface UnitScope {
  instanceIds: string[];
  /** Every tagged instance of the region when the scan was dispatched: the others are gone. */
  knownInstanceIds: string[];
  /** Run the account/region-level checks and list Timestream for InfluxDB (one unit per region does). */
  regionChecks: boolean;
  /** knownInstanceIds is the region's whole inventory (false for a named subset: nothing is archived). */
  regionComplete: boolean;
}

export async function callerAccount(clients: Clients, region: string): Promise<string> {
  try {
    const id = await clients.sts(region).send(new GetCallerIdentityCommand({}));
    return id.Account!;
  } catch (err) {
    throw toAwsCallError('sts', 'GetCallerIdentity', err);
  }
}

/** The regions to scan: the home region by default, every enabled one for `all`; unknown names are a usage error. */
export async function resolveRegions(config: Config, clients: Clients, homeRegion: string): Promise<string[]> {
  const wanted = config.regions.length ? config.regions : [homeRegion];
  const all = wanted.includes('all');
  let known: Map<string, string>;
  try {
    const out = await clients.ec2(homeRegion).send(new DescribeRegionsCommand({ AllRegions: true }));
    known = new Map((out.Regions ?? []).map((r) => [r.RegionName!, r.OptInStatus ?? 'opt-in-not-required']));
  } catch (err) {
    if (all) throw toAwsCallError('ec2', 'DescribeRegions', err);
    return [...new Set(wanted)]; // cannot validate; a bad name will surface as NOT_AVAILABLE findings
  }
  if (all)
    return [...known]
      .filter(([, s]) => s !== 'not-opted-in')
      .map(([r]) => r)
      .sort();
  for (const r of wanted) {
    if (!known.has(r)) throw usageError(`unknown region "${r}" (EC2 knows ${known.size} regions; try --region all)`);
    if (known.get(r) === 'not-opted-in') throw usageError(`region "${r}" is not enabled for this account`);
  }
  return [...new Set(wanted)];
}

interface RegionScan {
  findings: Finding[];
  /** Every subject's tags by its id (`tagsOf` of its kind): what suppressions by tag match. */
  tags: [string, Readonly<Record<string, string>>][];
  instances: Instance[];
  databases: TimestreamDb[];
  subjects: SubjectRef[];
  coverage: Coverage;
}

const failedRegion = (checks: readonly Check[], accountId: string, region: string, reason: string): RegionScan => ({
  findings: evaluateRegionFailure(checks, { accountId, region, reason }),
  tags: [],
  instances: [],
  databases: [],
  subjects: [],
  coverage: { accountId, region, failed: reason, complete: false, instanceIds: [], goneInstanceIds: [], assessed: new Set() },
});

/**
 * Whether this scan (or work unit) lists a kind in the region: a kind listed per unit always; a kind listed
 * region-whole by the unit that runs the region checks (every CLI scan does), when a check that can speak of its
 * subjects (`appliesToKind`), or an endpoint check (they speak of every kind's endpoints), is among the scan's checks.
 */
const listsKind = (k: AnyKind, unit: UnitScope | undefined, checks: readonly Check[], kinds?: readonly string[]): boolean =>
  (!kinds || kinds.includes(k.name)) &&
  (k.listedBy === 'unit' || ((!unit || unit.regionChecks) && checks.some((c) => c.scope === 'endpoint' || appliesToKind(k, c))));

/** Every kind's listing, then the region's shared records for all their subjects, then what each kind reads after. */
async function discoverRegion(kinds: readonly AnyKind[], d: DiscoverContext): Promise<RegionInventory> {
  const listings = await Promise.all(kinds.map((k) => k.discover(d)));
  const inv: RegionInventory = {
    accountId: d.accountId,
    region: d.region,
    instances: [],
    parameterGroups: new Map(),
    securityGroups: ok(new Map()),
    volumes: ok(new Map()),
    prefixLists: new Map(),
    ebsDefaultEncryption: fail('not read'),
  };
  for (const l of listings) l.into(inv);
  const subjects = kinds.map((k) => subjectsOf(k, inv));
  const groupIds = kinds.flatMap((k, n) => subjects[n]!.flatMap((s) => k.groupIdsOf(s)));
  // The paths from the internet, once for every kind's subjects: the load balancers are listed first, so that one
  // describe reads their own groups with the subjects'.
  const ec2 = d.clients.ec2(d.region);
  const elbv2 = d.clients.elbv2(d.region);
  const elb = d.clients.elb(d.region);
  const withPaths = (d.wants ?? (() => true))('network') && kinds.some((k, n) => k.paths && subjects[n]!.length > 0);
  const balancers = withPaths ? listBalancers({ elbv2, elb }) : undefined;
  const shared = await discoverRegionResources(
    ec2,
    inv.instances,
    groupIds,
    subjects.some((s) => s.length > 0),
    d.wants,
    balancers?.then(facingGroupIds),
  );
  Object.assign(inv, shared);
  const network = async () => {
    if (!balancers) return;
    inv.network = await discoverNetwork(
      { ec2, elbv2, elb },
      { ...inv, instances: kinds.flatMap((k) => k.paths?.(inv) ?? []) },
      await balancers,
    );
  };
  await Promise.all([network(), ...kinds.map((k) => k.afterDiscovery?.(inv, d))]);
  return inv;
}

async function scanRegion(
  config: Config,
  deps: ScanDeps & { now: () => Date },
  sources: readonly EvidenceSource[],
  deadline: Deadline,
  checks: readonly Check[],
  accountId: string,
  region: string,
): Promise<RegionScan> {
  try {
    const unit = deps.unit;
    const regionChecks = !unit || unit.regionChecks;
    const kinds = KINDS.filter((k) => listsKind(k, unit, checks, deps.kinds));
    const d: DiscoverContext = {
      clients: deps.clients,
      accountId,
      region,
      config,
      ...(unit ? { only: unit.instanceIds } : {}),
      ...(deps.userDataCache ? { userDataCache: deps.userDataCache } : {}),
      ...(deps.checks ? { wants: wantedEvidence(checks) } : {}),
    };
    const inventory = await discoverRegion(kinds, d);
    const bundle = await gatherRegion(kinds, inventory, config, sources, deps.now().getTime(), deadline);
    const assessed = new Set<string>();
    const subjects = bundle.kinds.flatMap(({ kind, subjects: records }) => records.map((s) => kind.subject(s)));
    const findings = [
      ...bundle.kinds.flatMap(({ kind, subjects: records, contexts }) =>
        contexts.flatMap((ctx, n) => evaluateSubject(checks, kind.scope, kind.subject(records[n]!), ctx, assessed)),
      ),
      ...bundle.endpoints.flatMap((ctx) => evaluateEndpoint(checks, ctx, assessed)),
      // A kind that could not be listed: its checks say so once, at account level.
      ...kinds.flatMap((k) => {
        const listing = k.listing(inventory);
        return listing && !listing.ok
          ? evaluateRegionFailure(checks, { accountId, region, reason: listing.reason }, (c) => appliesToKind(k, c))
          : [];
      }),
      ...(regionChecks ? evaluateRegion(checks, bundle.region, assessed) : []),
    ];
    // A complete region-wide listing also settles the kind's "could not be listed" placeholders of an earlier scan.
    for (const k of kinds)
      if (k.listedBy === 'region' && k.listing(inventory)?.ok)
        // (Every check of its scope too: the placeholders a version without `evidence` declarations wrote.)
        for (const c of checks) if (c.scope === k.scope || appliesToKind(k, c)) assessed.add(assessmentKey(undefined, c.id));
    deps.onProgress?.({ kind: 'region', region, instances: subjects.length, findings: findings.length });
    const seen = new Set(subjects.map((s) => s.id));
    // A unit's instance missing from a describe by its id is gone since dispatch (terminated, or no longer selected).
    const gone = unit ? unit.instanceIds.filter((id) => !seen.has(id)) : [];
    const coverage: Coverage = {
      accountId,
      region,
      complete: !unit || unit.regionComplete,
      instanceIds: [...seen],
      goneInstanceIds: gone,
      assessed,
      ...Object.assign({}, ...KINDS.map((k) => k.lifecycle.coverage(kinds.includes(k) ? k.listing(inventory) : undefined))),
      ...(unit ? { knownInstanceIds: unit.knownInstanceIds.filter((id) => !gone.includes(id)) } : {}),
    };
    const databases = inventory.timestream?.ok ? inventory.timestream.value : [];
    // In the order of `subjects`: each subject's tags by its id.
    const tagged = bundle.kinds.flatMap(({ kind, subjects: records }) => records.map((s) => kind.tagsOf(s)));
    const tags = subjects.map((s, n) => [s.id, tagged[n]!] as [string, Readonly<Record<string, string>>]);
    return { findings, tags, instances: inventory.instances, databases, subjects, coverage };
  } catch (err) {
    if (!(err instanceof AwsCallError)) throw err;
    deps.onProgress?.({ kind: 'region', region, instances: 0, findings: 0, error: err.message });
    return failedRegion(checks, accountId, region, err.message);
  }
}

/** `tag influxdb / Service=influxdb|InfluxDB`: the selectors as a person reads them. */
export const selectorsText = (config: Config): string =>
  config.tagSelectors.map((s) => (s.values ? `${s.key}=${s.values.join('|')}` : `tag ${s.key}`)).join(' / ');

/**
 * What makes a scan incomplete (CLI exit code 3, the API's `incomplete`): a
 * region whose instances could not be listed, or no instance matched the
 * selectors in any scanned region (regions without InfluxDB in a
 * multi-region scan are normal). A work unit sees one slice of a scan: the
 * fan-out decides "no instance matched" over all units (`noMatchCounts` false).
 */
export function incompleteReasons(
  coverage: readonly Coverage[],
  config: Config,
  noMatchCounts = true,
  /** A scan of chosen kinds (`--kind`): its "nothing found" names them. */
  kinds?: readonly string[],
): string[] {
  const reasons = coverage.filter((c) => c.failed).map((c) => `instances of ${c.accountId}/${c.region} could not be listed: ${c.failed}`);
  for (const c of coverage) {
    // A kind that could not be listed where the rest of the region was.
    if (!c.failed)
      for (const k of KINDS) {
        const reason = k.lifecycle.incomplete(c);
        if (reason) reasons.push(reason);
      }
    // A scan of named instances: a name that matched nothing was not checked at all.
    if (!c.failed && !c.complete && c.goneInstanceIds.length)
      reasons.push(
        `not found among the selected running or stopped instances of ${c.accountId}/${c.region}: ${c.goneInstanceIds.join(', ')}`,
      );
  }
  const listed = coverage.filter((c) => !c.failed);
  if (noMatchCounts && listed.length && listed.every((c) => !c.instanceIds.length)) {
    const where = [...new Set(listed.map((c) => c.region))].join(', ');
    reasons.push(
      kinds && kinds.length < KINDS.length
        ? `no subject of the chosen kinds (${kinds.join(', ')}) found in ${where}${kinds.includes('ec2-instance') ? ` (instances: ${selectorsText(config)})` : ''}`
        : `no instance matched ${selectorsText(config)} in ${where}`,
    );
  }
  return reasons;
}

/** The real prober, confined to the allowed CIDRs (loopback only against a local emulator). */
function realProber(config: Config, env: NodeJS.ProcessEnv): ProbeFn {
  const allowed = probeCidrs(config.probe.allowedCidrs, env);
  const opts = probeOptions(config);
  return (t) => gatherProbe(t, allowed, opts);
}

/**
 * The real auditor: the secret from Secrets Manager, then the audit, confined like the prober. Secrets Manager's
 * client (like SSM's, below) is loaded only by a scan that uses it (see lib/aws/clients.ts). The host collectors, and
 * the YAML and TOML parsers of their output, are loaded likewise: a Lambda cold start does not evaluate them.
 */
async function realAuditor(config: Config, env: NodeJS.ProcessEnv, clients: Clients): Promise<AuditFn> {
  const allowed = probeCidrs(config.probe.allowedCidrs, env);
  const { secretsReader } = await import('./evidence/audit/secrets.js');
  const read = secretsReader((region) => clients.secretsManager(region), config.audit.ca !== undefined);
  return async (t, secret) => {
    const credentials = await read(secret);
    return credentials.ok ? gatherAudit(t, credentials.value, allowed, config) : labNoted(config, credentials);
  };
}

export async function scan(config: Config, deps: ScanDeps): Promise<ScanResult> {
  const now = deps.now ?? (() => new Date());
  const checks = deps.checks ?? CHECKS;
  const startedAt = now().toISOString();
  const accountId = await callerAccount(deps.clients, deps.homeRegion);
  const regions = await resolveRegions(config, deps.clients, deps.homeRegion);
  deps.onProgress?.({ kind: 'start', accountId, regions });
  const env = deps.env ?? process.env;
  const deadline: Deadline = { passed: () => deps.deadline !== undefined && now().getTime() >= deps.deadline, reason: DEADLINE_REASON };
  // The registered evidence sources: probes (unless turned off) and host collection (when asked for).
  const probe: ProbeFn | undefined = !config.probe.enabled ? undefined : (deps.probe ?? realProber(config, env));
  const remaining = deps.deadline === undefined ? undefined : () => deps.deadline! - now().getTime();
  const host: HostFn | undefined =
    deps.host ??
    (config.host.local
      ? (await import('./evidence/host/local.js')).localHost(config.host.local)
      : config.host.enabled
        ? (await import('./evidence/host/ssm.js')).ssmHost(config, deps.clients, remaining)
        : undefined);
  // The host is read once for the host evidence and for the S3 buckets its InfluxDB 3 object stores name.
  const shared = host ? sharedHost(host) : undefined;
  // The credentialed audit goes where probes go, with the secret each instance names (read once per scan).
  const auditing = gatheredSources(config).audit;
  const audit: AuditFn | undefined = !auditing ? undefined : (deps.audit ?? (await realAuditor(config, env, deps.clients)));
  // Timestream endpoints are AWS's names: under an emulator they are made up and never probed (not even resolved).
  const sources: EvidenceSource[] = [
    ...(probe ? [probeSource(probe, { concurrency: config.probe.concurrency, managedEndpoints: !emulatedAws(env) })] : []),
    ...(shared ? [hostSource(shared), objectStoreSource(shared, objectStoreReader(deps.clients, accountId, deps.homeRegion))] : []),
    ...(audit ? [auditSource(audit, config.probe.concurrency)] : []),
  ];
  const perRegion = await mapLimit(regions, config.regionConcurrency, (region): Promise<RegionScan> => {
    if (!deadline.passed()) return scanRegion(config, { ...deps, now }, sources, deadline, checks, accountId, region);
    // Not started: said so, and nothing there is resolved or archived by publishing.
    return Promise.resolve(failedRegion(checks, accountId, region, DEADLINE_REASON));
  });
  const findings = sortFindings(
    perRegion.flatMap((r) => r.findings),
    checks,
  );
  // Accepted risks: active entries mark what they match, by the subject's tags where an entry names a tag.
  const tags = new Map(perRegion.flatMap((r) => r.tags));
  const entries = asSuppressions(config.suppressions);
  const { active } = suppressionState(entries, now());
  const { unmatched } = applySuppressions(findings, active, (id) => tags.get(id));
  // An entry of a check this scan did not run, or that speaks of a kind it did not list (a partial scan), matched
  // nothing because nothing was asked: not said.
  const unlisted = KINDS.filter((k) => deps.kinds && !deps.kinds.includes(k.name));
  const judged = new Set(checks.filter((c) => !unlisted.some((k) => speaksOfKind(k, c))).map((c) => c.id));
  const document: ScanDocument = {
    scanId: (deps.newScanId ?? randomUUID)(),
    startedAt,
    finishedAt: now().toISOString(),
    // A partial scan says so: its checks and kinds (a summary with no failure is not a whole scan's).
    scope: {
      accounts: [accountId],
      regions,
      ...(checks.length < CHECKS.length ? { checks: checks.map((c) => c.id) } : {}),
      ...(deps.kinds && deps.kinds.length < KINDS.length ? { kinds: [...deps.kinds] } : {}),
    },
    findings,
    summary: summarise(findings),
  };
  const coverage = perRegion.map((r) => r.coverage);
  return {
    document,
    instances: perRegion.flatMap((r) => r.instances),
    databases: perRegion.flatMap((r) => r.databases),
    subjects: perRegion.flatMap((r) => r.subjects),
    coverage,
    incomplete: incompleteReasons(coverage, config, !deps.unit, deps.kinds),
    unmatchedSuppressions: unmatched.filter((i) => judged.has(entries[i]!.checkId)),
  };
}
