/**
 * What a resource kind provides (docs/adding-a-resource-kind.md). A kind is registered by name in
 * lib/kinds/index.ts, the way Cloud Custodian registers resource types; scan, evaluate, publish, the
 * renderers, the service and the template loop over the registry and never ask which kind they hold.
 * `S` is the kind's discovery record (an EC2 `Instance`, a `TimestreamDb`), `Ctx` the context its checks receive.
 */
import type { Clients } from '../aws/clients.js';
import type { Config } from '../config.js';
import type { UserDataCache } from '../discover/instance-data.js';
import type { EvidenceTargets } from '../evidence/index.js';
import type {
  BucketExposure,
  Check,
  CheckSettings,
  EndpointContext,
  EvidenceKey,
  Instance,
  RegionInventory,
  Result,
  SubjectRef,
} from '../model.js';
import type { KindEvents } from './events.js';
import type { KindLifecycle } from './lifecycle.js';

/** The scopes of checks a kind's subjects receive (region and endpoint checks are shared by every kind): a kind's own. */
export type SubjectScope = Exclude<Check['scope'], 'region' | 'endpoint'>;

export interface DiscoverContext {
  clients: Clients;
  accountId: string;
  region: string;
  config: Config;
  /** A work unit's subject ids: a kind listed per unit lists only these. */
  only?: readonly string[];
  /** Where user-data verdicts are kept between scans (EC2 instances); default: this process. */
  userDataCache?: UserDataCache;
  /**
   * Whether a check of this scan reads the evidence key (`Check.needs`): what none reads is not gathered (a scan of
   * chosen checks, `influxguard scan --check`, reads only what they need). Absent: everything is read.
   */
  wants?: (key: EvidenceKey) => boolean;
}

/**
 * The evidence keys the checks read (`Check.needs`), as a DiscoverContext's `wants`. Endpoint checks also read the
 * network: a failing endpoint finding's severity rises when its instance is reachable from the internet.
 */
export function wantedEvidence(checks: readonly Pick<Check, 'needs' | 'scope'>[]): (key: EvidenceKey) => boolean {
  const keys = new Set<EvidenceKey>(checks.flatMap((c) => c.needs as readonly EvidenceKey[]));
  if (checks.some((c) => c.scope === 'endpoint')) keys.add('network');
  // An ECS service's evidence is built from the region's groups and volumes too (its awsvpc groups, ECS-managed EBS).
  if (keys.has('ecs')) for (const k of ['network', 'volumes'] as const) keys.add(k);
  return (key) => keys.has(key);
}

/**
 * One kind's listing of one region. A kind whose listing fails on its own returns the reason: its checks are
 * NOT_AVAILABLE for the region (once, at account level), the rest of the region is scanned. A kind whose failure
 * leaves nothing in the region readable (EC2 instances: the groups, volumes and account settings every kind needs
 * come from the same API) throws `AwsCallError` instead, and the whole region is NOT_AVAILABLE.
 */
export interface Listing<S> {
  subjects: Result<S[]>;
  /** Puts the listing (and what it read beside it, e.g. parameter groups) where the region's inventory keeps it. */
  into: (inv: RegionInventory) => void;
}

/** What the kind's context builder receives beside the inventory. */
export interface GatherEnv {
  config: Config;
  settings: CheckSettings;
  /** Scan time (ms since epoch). */
  now: number;
}

/** Evidence of one subject from the per-subject sources (probe, host, audit), each present when it ran for it. */
export type Sourced = Partial<Pick<EndpointContext['evidence'], 'probe' | 'host' | 'audit'>> & {
  /** The S3 buckets its host's InfluxDB 3 object stores name (an instance's host only). */
  objectStore?: Result<BucketExposure[]>;
};

export interface ResourceKind<S = unknown, Ctx extends { evidence: object } = { evidence: object }> {
  /** The registered name: lib/kinds/<name>/. */
  name: string;
  /** Its checks' scope (lib/checks/: a check of this scope runs on every subject of the kind). */
  scope: SubjectScope;
  /**
   * Which checks can speak of its subjects, when not every check of its scope can (a kind sharing a scope with another,
   * as `ecs-service` shares `instance` with EC2 instances): those of its scope that need one of these evidence keys,
   * and, with `hostVerdicts`, the endpoint checks a host's evidence answers. Absent: every AWS-evidence check of its
   * scope. Used when its listing fails: exactly these say NOT_AVAILABLE (`appliesToKind`).
   */
  evidence?: { keys: readonly EvidenceKey[]; hostVerdicts: boolean };
  /**
   * Who lists it: each work unit its own subjects by id (`unit`, EC2 instances), or the unit that runs the region
   * checks the whole region (`region`): a complete listing then also settles the kind's "could not be listed"
   * placeholders of an earlier scan.
   */
  listedBy: 'unit' | 'region';
  /** discover.ts: per region, paginated. */
  discover: (c: DiscoverContext) => Promise<Listing<S>>;
  /** Its listing in the region's inventory: its subjects, or why they could not be listed; undefined when not listed. */
  listing: (inv: RegionInventory) => Result<readonly S[]> | undefined;
  /** Its subject's tags, as suppressions by `tag` match them (CHECKS.md: on the instance, service or database). */
  tagsOf: (s: S) => Readonly<Record<string, string>>;
  /** The security groups its subjects use (read once per region for every kind). */
  groupIdsOf: (s: S) => readonly string[];
  /**
   * Its subjects as instances, for the paths from the internet (routes, ACLs, load balancers: lib/discover/network.ts),
   * read once per region for every kind that has them; absent: its subjects have none.
   */
  paths?: (inv: RegionInventory) => readonly Instance[];
  /** Reads what only the region's subjects of this kind need once they and the shared records are known. */
  afterDiscovery?: (inv: RegionInventory, c: DiscoverContext) => Promise<void> | void;
  /** evidence.ts: which evidence sources apply to a subject and how each reaches it (`inv`: its region's records, when gathering). */
  targets: (config: Config, inv?: RegionInventory) => EvidenceTargets<S>;
  /** evidence.ts: the context its checks receive (`sourced[n]`: what the per-subject sources found for `subjects[n]`). */
  contexts: (subjects: readonly S[], inv: RegionInventory, env: GatherEnv, sourced: readonly Sourced[]) => Ctx[];
  /** evidence.ts: the endpoint checks' context for a subject that a source reached (undefined: none ran). */
  endpoint: (s: S, ctx: Ctx, sourced: Sourced, env: GatherEnv) => EndpointContext | undefined;
  /** subject.ts: its identity in every output. */
  subject: (s: S) => SubjectRef;
  /** lifecycle.ts: how publishing lists and archives it (pure: lib/kinds/lifecycle.ts holds every kind's). */
  lifecycle: KindLifecycle;
  /** events.ts: the CloudTrail records that name it and what a change touches of it (event-driven rescans). */
  events: KindEvents<S>;
}

/** A kind as the registry holds it: its record and context types are its own business. */
export type AnyKind = ResourceKind<never, { evidence: object }>;

/** Registers a kind under its name with its own types checked, erased for the registry. */
export const defineKind = <S, Ctx extends { evidence: object }>(k: ResourceKind<S, Ctx>): AnyKind => k as unknown as AnyKind;

/** A kind's subjects in the region's inventory (none when it was not listed or could not be). */
export function subjectsOf<S>(k: Pick<ResourceKind<S>, 'listing'>, inv: RegionInventory): readonly S[] {
  const l = k.listing(inv);
  return l?.ok ? l.value : [];
}

/** Whether a check can speak of a kind's subjects (its `evidence` declaration, else every AWS-evidence check of its scope). */
export function appliesToKind(k: Pick<ResourceKind, 'scope' | 'evidence'>, c: Check): boolean {
  if (!k.evidence) return c.scope === k.scope && c.evidence.includes('aws');
  if (c.scope === 'endpoint') return k.evidence.hostVerdicts && c.hostVerdict !== undefined;
  return c.scope === k.scope && (c.needs as readonly EvidenceKey[]).some((n) => k.evidence!.keys.includes(n));
}

/**
 * Whether a check speaks of a kind's subjects in a scan (what a scan of chosen kinds can answer): endpoint checks of
 * every kind's endpoints; region checks of the region's instances (their `appliesTo`), as that scope's checks; a kind
 * sharing a scope receives those of its `evidence` declaration.
 */
export function speaksOfKind(k: Pick<ResourceKind, 'scope' | 'evidence'>, c: Check): boolean {
  if (c.scope === 'endpoint') return true;
  const scope = c.scope === 'region' ? 'instance' : c.scope;
  return scope === k.scope && (!k.evidence || (c.needs as readonly EvidenceKey[]).some((n) => k.evidence!.keys.includes(n)));
}
