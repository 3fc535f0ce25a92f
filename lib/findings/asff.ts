/**
 * Findings → AWS Security Finding Format (pure). The Id is stable and
 * documented: derived from account, region, check, instance and resource,
 * never from the scan, so every scan updates the same Security Hub finding.
 */
import { hash } from 'node:crypto';
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { checkById } from '../checks/index.js';
import { kindOfSubject } from '../kinds/outputs.js';
import type { Finding } from '../model.js';
import { NOTE_PREFIX, suppressionNote } from '../suppress.js';
import { printable, printableDeep } from '../util/text.js';
import { VERSION } from '../version.js';

export const GENERATOR_PREFIX = 'influxguard/';
export const SCHEMA_VERSION = '2018-10-08';
/** ASFF limits this module keeps to. */
export const LIMITS = {
  title: 256,
  description: 1024,
  recommendationText: 512,
  productFieldValue: 2048,
  findingBytes: 240 * 1024,
  /** Compliance.RelatedRequirements: at most 32 entries. */
  relatedRequirements: 32,
};

export const productArn = (region: string, account: string) => `arn:aws:securityhub:${region}:${account}:product/${account}/default`;
export const generatorId = (checkId: string) => `${GENERATOR_PREFIX}${checkId}`;

/**
 * `influxguard/<account>/<region>/<checkId>/<instanceId or ->/<resourceId>`.
 * A security group shared by two instances gives two findings (one per instance).
 */
export function findingId(f: Pick<Finding, 'accountId' | 'region' | 'checkId' | 'instanceId' | 'resource'>): string {
  // join() builds one flat string (a template literal leaves a chain of cons strings behind it: a fleet holds many ids).
  return printable([`${GENERATOR_PREFIX}${f.accountId}`, String(f.region), f.checkId, f.instanceId ?? '-', f.resource.id].join('/'));
}

/**
 * Whether the finding Security Hub holds says what this finding says: status,
 * severity, title, generator and resource, recomputed from the finding's own
 * fields (evidence wording may vary between scans and is not compared).
 * Never a stored digest: anyone allowed to import findings in the account
 * could write one, and make a forged PASSED stick.
 */
export function sameAsImported(prev: AwsSecurityFinding | HeldFinding, f: Finding): boolean {
  const held = prev instanceof HeldFinding ? prev : HeldFinding.of(prev);
  return held.status === f.status && held.severity === f.severity && held.digest === digestOf(f);
}

/**
 * What the lifecycle keeps of a finding Security Hub holds and this scan produces again: its status,
 * the provider's severity, a digest of the rest that `sameAsImported` compares (record state, generator,
 * title, resource), and its dates. A fleet's findings are held this way, never as whole ASFF documents.
 * The digest is computed here from the fields read back, never read from the finding.
 */
export class HeldFinding {
  private constructor(
    readonly status: string | undefined,
    readonly severity: string | undefined,
    readonly digest: string,
    readonly updatedAt: string | undefined,
    readonly firstSeen: string | undefined,
    /** The workflow status, and the note only when it is the scanner's own (NOTE_PREFIX): lib/publish/suppressions.ts. */
    readonly workflow?: string,
    readonly note?: string,
  ) {}

  /** `strings` shares equal strings (dates, labels) between the findings of one read. */
  static of(f: AwsSecurityFinding, strings?: Map<string, string>): HeldFinding {
    const share = (s: string | undefined) => {
      if (s === undefined || !strings) return s;
      const known = strings.get(s);
      if (known !== undefined) return known;
      strings.set(s, s);
      return s;
    };
    return new HeldFinding(
      share(f.Compliance?.Status),
      share(f.FindingProviderFields?.Severity?.Label ?? f.Severity?.Label),
      digest(f.RecordState, f.GeneratorId, f.Title, f.Resources?.[0]?.Id),
      share(f.UpdatedAt),
      share(f.FirstObservedAt ?? f.CreatedAt),
      share(f.Workflow?.Status),
      f.Note?.Text?.startsWith(NOTE_PREFIX) ? f.Note.Text : undefined,
    );
  }
}

/**
 * 48 bits of SHA-256 of a finding id, as a number (exact in a double): a compact key, never a security boundary.
 * One-shot hash(): a Hash object per id would hold native memory until a garbage collection.
 */
export const idHash = (id: string): number => Number.parseInt(hash('sha256', id, 'hex').slice(0, 12), 16);

/** The findings' id hashes, ascending (8 bytes an id, where a set of the ids would hold each string). */
export const sortedIdHashes = (findings: readonly Finding[]): Float64Array =>
  Float64Array.from(findings, (f) => idHash(findingId(f))).sort();

/**
 * 72 bits of SHA-256 over the parts (an absent one differs from every string), base64url: 12 characters, a string
 * of its own (a longer slice would keep the whole hash behind it). One-shot hash(): no Hash object per finding, whose
 * native memory would wait for a garbage collection.
 */
const shortHash = (parts: readonly (string | undefined)[]): string =>
  hash('sha256', parts.map((p) => (p === undefined ? '\u0001' : `\u0002${p}`)).join('\u0000'), 'base64url').slice(0, 12);

const digest = (recordState?: string, generator?: string, title?: string, resource?: string) =>
  shortHash([recordState, generator, title, resource]);

/** The digest a finding of this scan would have as imported (ACTIVE). */
const digestOf = (f: Finding) =>
  digest('ACTIVE', generatorId(f.checkId), clip(f.title, LIMITS.title), resourceArn(f, f.resource, f.region ?? '', f.accountId ?? ''));

/**
 * The id of any finding of a document: the ASFF Id for scan findings; for probe findings (no
 * account or region) `influxguard/probe/<checkId>/<endpoint>/<resourceId>`. OCSF, CSV and HTML use it.
 */
export function documentFindingId(f: Finding): string {
  if (f.accountId && f.region) return findingId(f);
  return printable(`${GENERATOR_PREFIX}probe/${f.checkId}/${f.endpoint ?? '-'}/${f.resource.id}`);
}

const clip = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

const ELBV2_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer\/(app|net)\/[A-Za-z0-9-]+\/[0-9a-f]+$/;
/** An ARN of this partition naming a resource by a path that ends in its id (`…:db-instance/<id>`). */
const SUBJECT_ARN = /^arn:aws[a-z-]*:[a-z0-9-]{1,40}:[a-z0-9-]{1,30}:\d{12}:[A-Za-z0-9-]{1,40}\/[A-Za-z0-9/-]{1,256}$/;

/**
 * The ASFF resource Id. A kind without an ASFF resource type of its own (Timestream for InfluxDB DBs) names its
 * subjects `Other`, with the subject's ARN in `evidence.arn` (lib/kinds/<kind>/subject.ts; checked at discovery
 * and here), while the JSON document names the subject by its identifier.
 */
export function resourceArn(f: Pick<Finding, 'evidence'>, { type, id }: Finding['resource'], region: string, account: string): string {
  const arn = f.evidence.arn;
  if (type === 'Other' && typeof arn === 'string' && SUBJECT_ARN.test(arn) && arn.endsWith(`/${id}`)) return arn;
  switch (type) {
    case 'AwsEc2Instance':
      return `arn:aws:ec2:${region}:${account}:instance/${id}`;
    case 'AwsEc2SecurityGroup':
      return `arn:aws:ec2:${region}:${account}:security-group/${id}`;
    case 'AwsEc2Volume':
      return `arn:aws:ec2:${region}:${account}:volume/${id}`;
    // An ALB/NLB finding's id is the load balancer's ARN (discovery read it from the API); a Classic LB's is its name.
    case 'AwsElbv2LoadBalancer':
      return ELBV2_ARN.test(id) ? id : `arn:aws:elasticloadbalancing:${region}:${account}:loadbalancer/${id}`;
    case 'AwsElbLoadBalancer':
      return `arn:aws:elasticloadbalancing:${region}:${account}:loadbalancer/${id}`;
    case 'AwsAccount':
      return `AWS::::Account:${account}`;
    default:
      return id;
  }
}

/**
 * The subject behind a finding as its kind names it in ASFF (`asffSubject`: an EC2 instance, an ECS service); a
 * subject of a kind without one stays named as an instance, as before the registry (the OCSF resources).
 */
export const subjectResource = (f: Pick<Finding, 'instanceId'>): Finding['resource'] | undefined =>
  f.instanceId ? (kindOfSubject(f.instanceId)?.asffSubject?.(f.instanceId) ?? { type: 'AwsEc2Instance', id: f.instanceId }) : undefined;

/**
 * Whether the finding's evidence says its subject is reachable from the internet: a port path from
 * the internet (`internetReachable`), or an endpoint finding raised for it (`severityRaised`).
 * Published as ProductFields `influxguard/InternetReachable` = `true` (the stack's insight filters on it).
 */
export const internetReachable = (f: Pick<Finding, 'evidence'>): boolean =>
  f.evidence.internetReachable === true || typeof f.evidence.severityRaised === 'string';

/** The check's own ASFF types (a finding of an unknown check gets the guidance type). */
const types = (checkId: string): string[] => [
  ...(checkById(checkId)?.asffTypes ?? [
    'Software and Configuration Checks/Industry and Regulatory Standards/InfluxData security guidance',
  ]),
];

function description(f: Finding, risk: string): string {
  const seen = typeof f.evidence.summary === 'string' ? f.evidence.summary : '';
  const reason = typeof f.evidence.reason === 'string' ? ` Not evaluated: ${f.evidence.reason}` : '';
  return clip(
    `${f.status}: ${seen}.${reason} ${f.endpoint ? `Endpoint ${f.endpoint}. ` : ''}Risk: ${risk}`.replace(/\.\./g, '.'),
    LIMITS.description,
  );
}

export const RULES_FIELD = 'influxguard/Rules';
/**
 * The security group rules a port finding names (its evidence), as JSON: what
 * remediation may revoke, and nothing else. Left out when it does not fit a
 * product field whole (remediation then refuses: never a truncated list).
 */
function rulesField(f: Finding): Record<string, string> {
  if (!Array.isArray(f.evidence.rules) || !f.evidence.rules.length) return {};
  const text = JSON.stringify(f.evidence.rules);
  return text.length <= LIMITS.productFieldValue ? { [RULES_FIELD]: text } : {};
}

export interface AsffTimes {
  /** This scan's time (UpdatedAt, LastObservedAt). */
  now: string;
  /** Kept from the first sighting (CreatedAt, FirstObservedAt). */
  firstSeen?: string;
}

/**
 * One finding as ASFF. Findings without an account or region (probe mode) cannot be published.
 * Every string field is printable(): outside text (certificates, headers, tags, collector output) is
 * shown in the Security Hub console and forwarded to SIEMs and terminals without its control characters.
 */
export function toAsff(f: Finding, times: AsffTimes): AwsSecurityFinding {
  if (!f.accountId || !f.region) throw new Error(`finding ${f.checkId} has no account/region: only scan findings can be published`);
  const check = checkById(f.checkId);
  const account = f.accountId;
  const region = f.region;
  const created = times.firstSeen ?? times.now;
  const primary = {
    Type: f.resource.type === 'Other' ? 'Other' : f.resource.type,
    Id: resourceArn(f, f.resource, region, account),
    Partition: 'aws' as const,
    Region: region,
  };
  // The subject behind a group, volume or load-balancer finding, when its kind has an ASFF type (an EC2 instance;
  // a Timestream DB is its own `Other` resource).
  const subject = f.instanceId ? kindOfSubject(f.instanceId)?.asffSubject?.(f.instanceId) : undefined;
  const withSubject =
    subject && f.resource.type !== subject.type && f.resource.type !== 'Other'
      ? [{ Type: subject.type, Id: resourceArn(f, subject, region, account), Partition: 'aws' as const, Region: region }]
      : [];
  const source = check ? check.evidence.join(',') : 'unknown';
  return printableDeep<AwsSecurityFinding>({
    SchemaVersion: SCHEMA_VERSION,
    Id: findingId(f),
    ProductArn: productArn(region, account),
    ProductName: 'influxguard',
    CompanyName: 'influxguard',
    GeneratorId: generatorId(f.checkId),
    AwsAccountId: account,
    Region: region,
    Types: types(f.checkId),
    CreatedAt: created,
    FirstObservedAt: created,
    UpdatedAt: times.now,
    LastObservedAt: times.now,
    Severity: { Label: f.severity, Original: f.severity },
    FindingProviderFields: { Severity: { Label: f.severity, Original: f.severity }, Types: types(f.checkId) },
    Title: clip(f.title, LIMITS.title),
    Description: description(f, check?.risk ?? ''),
    Remediation: { Recommendation: { Text: clip(f.remediation.text, LIMITS.recommendationText), Url: f.remediation.url } },
    ProductFields: {
      'influxguard/Version': VERSION,
      'influxguard/CheckId': f.checkId,
      'influxguard/EvidenceSource': source,
      ...(f.instanceId ? { 'influxguard/InstanceId': f.instanceId } : {}),
      ...(f.endpoint ? { 'influxguard/Endpoint': clip(f.endpoint, LIMITS.productFieldValue) } : {}),
      ...(internetReachable(f) ? { 'influxguard/InternetReachable': 'true' } : {}),
      ...rulesField(f),
    },
    Resources: [primary, ...withSubject],
    Compliance: {
      Status: f.status,
      ...(f.compliance?.relatedRequirements.length
        ? { RelatedRequirements: f.compliance.relatedRequirements.slice(0, LIMITS.relatedRequirements) }
        : {}),
    },
    RecordState: 'ACTIVE',
    // An accepted risk: SUPPRESSED with the scanner's note (Security Hub takes these on a new finding; the
    // publisher sets them with BatchUpdateFindings on existing ones, lib/publish/).
    ...(f.suppression
      ? {
          Workflow: { Status: 'SUPPRESSED' },
          Note: { Text: suppressionNote(f.suppression), UpdatedBy: 'influxguard', UpdatedAt: times.now },
        }
      : {}),
  });
}
