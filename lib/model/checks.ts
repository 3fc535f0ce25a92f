/** Checks: what a check declares and the context each scope receives. Checks are pure. */
import type { HostEvidence } from '../host-evidence.js';
import type { DatabaseEvidence, EndpointEvidence, EvidenceKey, EvidenceSource, InstanceEvidence, RegionEvidence } from './evidence.js';
import type { Remediation, ResourceRef, Severity, Status, SubjectRef } from './findings.js';
import type { Instance, TimestreamDb } from './inventory.js';

/** What a check says about one resource. The engine adds the rest of the finding. */
export interface Outcome {
  status: Status;
  /** Defaults to the check's base severity for FAILED/WARNING, INFORMATIONAL otherwise. */
  severity?: Severity;
  /** Defaults to the instance (instance checks) or the account (region checks). */
  resource?: ResourceRef;
  /** One line a person can read: what was observed. */
  summary: string;
  /** What was observed, as data. Never a secret. */
  details?: Record<string, unknown>;
  /**
   * Why this verdict rests on partial evidence (a source that could not be
   * read, a host answer standing in for a probe that could not decide). The
   * finding keeps its status, but the evaluation is not complete: it never
   * resolves or lowers an earlier finding in Security Hub.
   */
  incomplete?: string;
}

export interface CheckMeta {
  id: string;
  title: string;
  /** Base severity of a failure; context may raise it. */
  severity: Severity;
  /** Section of InfluxData's "Manage security" guidance. */
  section: string;
  /** Why this matters. */
  risk: string;
  remediation: Remediation;
  /** Evidence sources as CHECKS.md names them. */
  evidence: readonly EvidenceSource[];
  /** ASFF finding types (`namespace/category/classifier`) its findings carry in Security Hub. */
  asffTypes: readonly string[];
}

/** A port the operator expects open (e.g. 22 from a bastion group); the configuration validates it. */
export interface AllowedPort {
  protocol: 'tcp' | 'udp' | 'all';
  fromPort: number;
  toPort: number;
  /** Sources (CIDRs, `sg-…`, `pl-…`) the port is allowed from; absent means from anywhere the rule says. */
  sources?: string[] | undefined;
}

/** Operator settings that checks read (never evidence, never secrets). */
export interface CheckSettings {
  /** Extra ports the operator expects open, e.g. 22 from a bastion group. */
  allowedPorts: AllowedPort[];
  /** A certificate expiring within this many days is a WARNING. */
  certificateWarningDays: number;
  /** Whether the opt-in default-credentials login attempt ran. */
  defaultCredentials: boolean;
  /** Credentialed audit: most admin users (1.x) and most operator/all-access tokens (2.x) expected (absent: 1). */
  maxAdmins?: number;
  maxAllAccessTokens?: number;
}

export interface InstanceContext {
  instance: Instance;
  evidence: InstanceEvidence;
  settings: CheckSettings;
}

export interface RegionContext {
  accountId: string;
  region: string;
  instances: Instance[];
  evidence: RegionEvidence;
  settings: CheckSettings;
}

export interface EndpointContext {
  /** The URL probed; absent when only host evidence speaks for the instance. */
  endpoint?: string;
  /** Whether the endpoint was probed at all (probe-only checks say nothing otherwise). */
  probed: boolean;
  evidence: EndpointEvidence;
  settings: CheckSettings;
  /** The subject behind the endpoint (its kind's identity in the findings), when it came from a scan. */
  subject?: SubjectRef;
  /** The instance behind the endpoint, when it came from a scan. */
  instance?: Instance;
  /** Or the Timestream for InfluxDB instance or cluster behind it. */
  db?: TimestreamDb;
  /** Its 8086 is reachable from the internet (a complete path; a DB: publicly accessible, its port world-open). */
  internetExposed?: boolean;
  /** Why reachability could not be decided (a path hop could not be read): raised severities may be missing. */
  exposureUnknown?: string;
  /** Scan time (ms since epoch), passed in: checks never read the clock. */
  now: number;
}

export interface DatabaseContext {
  db: TimestreamDb;
  evidence: DatabaseEvidence;
  settings: CheckSettings;
}

interface CheckBase<Ctx, K extends EvidenceKey> extends CheckMeta {
  /**
   * The evidence keys the check reads. When none of them was gathered in this
   * scan (host collection off, endpoint not probed) the check stays silent;
   * when every gathered one failed, the engine reports NOT_AVAILABLE with the
   * reasons and does not call evaluate.
   */
  needs: readonly K[];
  /**
   * Keys that decide on their own: when they are gathered and sound, a failure
   * of the other keys (which only corroborate) leaves the evaluation complete.
   * Without it, any failed key makes the evaluation incomplete.
   */
  decidedBy?: readonly K[];
  /** Whether the check speaks about this subject at all (e.g. Enterprise-only checks). */
  appliesTo?: (ctx: Ctx) => boolean;
  evaluate: (ctx: Ctx) => Outcome[];
}

export type InstanceCheck = CheckBase<InstanceContext, keyof InstanceEvidence> & { scope: 'instance' };

export type RegionCheck = CheckBase<RegionContext, keyof RegionEvidence> & { scope: 'region' };

export type EndpointCheck = CheckBase<EndpointContext, keyof EndpointEvidence> & {
  scope: 'endpoint';
  /** The host's side of the check, when the host can answer it too (the probe decides when both do). */
  hostVerdict?: (h: HostEvidence) => Outcome | undefined;
};

export type DatabaseCheck = CheckBase<DatabaseContext, keyof DatabaseEvidence> & { scope: 'database' };

export type Check = InstanceCheck | RegionCheck | EndpointCheck | DatabaseCheck;
