/** Statuses and severities, finding identity and the scan document: what every output is built from. */
import type { Instance, TimestreamDb } from './inventory.js';

export const STATUSES = ['FAILED', 'WARNING', 'NOT_AVAILABLE', 'PASSED'] as const;

export type Status = (typeof STATUSES)[number];

/** Ordered from least to most severe (ASFF labels). */
export const SEVERITIES = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;

export type Severity = (typeof SEVERITIES)[number];

export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

/** FAILED and WARNING carry risk; PASSED and NOT_AVAILABLE do not. */
export const isFailing = (s: string | undefined): boolean => s === 'FAILED' || s === 'WARNING';

/** One level up, capped at CRITICAL. */
export const raiseSeverity = (s: Severity): Severity => SEVERITIES[Math.min(severityRank(s) + 1, SEVERITIES.length - 1)]!;

export type ResourceType =
  | 'AwsEc2Instance'
  | 'AwsEc2SecurityGroup'
  | 'AwsEc2Volume'
  | 'AwsElbv2LoadBalancer'
  | 'AwsElbLoadBalancer'
  | 'AwsEcsService'
  | 'AwsEcsTaskDefinition'
  | 'AwsAccount'
  | 'Other';

export interface ResourceRef {
  type: ResourceType;
  id: string;
}

export interface Remediation {
  text: string;
  url: string;
}

/**
 * `<instanceId or ->/<checkId>`: one check judged for one instance (or for the
 * account × region). The Security Hub lifecycle resolves a failure only for
 * pairs that this scan evaluated on complete evidence.
 */
// join() builds one flat string: a template literal would leave cons strings behind each of a fleet's keys.
export const assessmentKey = (instanceId: string | undefined, checkId: string): string => [instanceId ?? '-', checkId].join('/');

/** A finding, exactly as the CHECKS.md output contract names its fields. */
export interface Finding {
  checkId: string;
  status: Status;
  severity: Severity;
  title: string;
  accountId?: string;
  region?: string;
  instanceId?: string;
  resource: ResourceRef;
  endpoint?: string;
  evidence: Record<string, unknown>;
  remediation: Remediation;
  /** Controls of published frameworks the check supports (lib/checks/compliance.ts); the same strings go to ASFF. */
  compliance?: { relatedRequirements: string[] };
  /** An accepted risk (CHECKS.md "Accepted risks"): set by lib/suppress.ts when an active configured entry matches. */
  suppression?: { reason: string; expires: string; source: 'config' };
}

export interface Summary {
  FAILED: number;
  PASSED: number;
  WARNING: number;
  NOT_AVAILABLE: number;
  /** Findings of any status an active suppression matched (the status counts still include them). */
  suppressed: number;
  /** Failing findings (FAILED and WARNING) by severity; every label present. */
  bySeverity: Record<Severity, number>;
}

export interface ScanDocument {
  scanId: string;
  startedAt: string;
  finishedAt: string;
  scope: {
    accounts: string[];
    regions: string[];
    /** A partial scan (`scan --check`, the API's `checks`): the only checks it ran; absent: every check. */
    checks?: string[];
    /** A partial scan (`scan --kind`): the only resource kinds it listed; absent: every kind. */
    kinds?: string[];
  };
  findings: Finding[];
  summary: Summary;
}

/** What one account × region of a scan covered (publishing acts on exactly this). */
export interface Coverage {
  accountId: string;
  region: string;
  /** Why the region's instances could not be listed: nothing there is imported, resolved or archived. */
  failed?: string;
  /** Discovery listed the region's whole inventory: an instance of it not seen (nor known) is gone. */
  complete: boolean;
  instanceIds: string[];
  /** For a work unit: every instance of the region at dispatch (the others belong to other units). */
  knownInstanceIds?: string[];
  /** Instances this scan looked for by id and verifiably did not find (terminated, or no longer selected). */
  goneInstanceIds: string[];
  /**
   * Timestream for InfluxDB was listed completely in this region (its ids are
   * in instanceIds): only then may a Timestream id absent from it be archived.
   */
  timestreamListed?: boolean;
  /** Why Timestream for InfluxDB could not be listed (the scan is incomplete; its findings are left as they were). */
  timestreamFailed?: string;
  /** Amazon ECS was listed completely in this region: only then may a service or task absent from it be archived. */
  ecsListed?: boolean;
  /** Why Amazon ECS could not be listed (the scan is incomplete; its findings are left as they were). */
  ecsFailed?: string;
  /** Instance × check pairs evaluated on complete evidence (`assessmentKey`): only these may resolve a failure. */
  assessed: Set<string>;
}

/** A scan's outcome: the contract's document, and what publishing and renderers need beside it. */
export interface ScanResult {
  document: ScanDocument;
  /** The instances the scan covered (not part of the JSON contract). */
  instances: Instance[];
  /** The Timestream for InfluxDB instances and clusters the scan covered. */
  databases: TimestreamDb[];
  /** Every subject the scan covered, of every kind (lib/kinds/), as the outputs name it. */
  subjects: SubjectRef[];
  coverage: Coverage[];
  /** Why the scan is incomplete (empty when everything asked for was checked). */
  incomplete: string[];
  /** Indexes of active `suppressions` entries that matched no finding (they only warn). */
  unmatchedSuppressions?: number[];
}

/**
 * A subject: one resource of one kind (lib/kinds/) as every output names it. The kind
 * decides it once (lib/kinds/<kind>/subject.ts); evaluate, the renderers, publishing and
 * the service read it and never ask which kind it is.
 */
export interface SubjectRef {
  /** The kind's registered name (`ec2-instance`, `timestream-db`). */
  kind: string;
  accountId: string;
  region: string;
  /** The JSON document's `instanceId`: the lifecycle tracks each subject by it. */
  id: string;
  name?: string;
  /** The table's heading for its findings (made printable by the renderer). */
  label: string;
  /** The finding's resource when a check names none (ASFF `Resources[0]` type and id). */
  resource: ResourceRef;
  /**
   * Added to the evidence of each of its findings (a resource without an ASFF type of its own names its ARN here:
   * `arn`, the ASFF resource Id, see lib/findings/asff.ts).
   */
  evidence?: Record<string, unknown>;
  /** Why an exposed subject's endpoint findings are raised one level (evidence `severityRaised`). */
  exposure: string;
}
