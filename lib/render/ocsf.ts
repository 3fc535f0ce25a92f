/**
 * Findings → OCSF 1.5.0 Compliance Finding events (class_uid 2003), one per finding (pure).
 * The same ids (finding_info.uid = the ASFF Id, metadata.event_code = the check id), severities,
 * statuses, resources, evidence and remediation as the JSON document. Outside text is made
 * printable, as for ASFF. Validated in the tests by py-ocsf-models (test/render/ocsf.test.ts).
 */
import { checkById } from '../checks/index.js';
import type { Finding, ScanDocument, Severity, Status } from '../model.js';
import { documentFindingId, resourceArn, subjectResource } from '../findings/asff.js';
import { suppressionNote } from '../suppress.js';
import { printableDeep } from '../util/text.js';
import { VERSION } from '../version.js';

export const OCSF_VERSION = '1.5.0';
const CLASS_UID = 2003;
const ACTIVITY_CREATE = 1;

/** OCSF severity_id: 1 Informational … 5 Critical. */
const SEVERITY_ID: Record<Severity, number> = { INFORMATIONAL: 1, LOW: 2, MEDIUM: 3, HIGH: 4, CRITICAL: 5 };
const SEVERITY_CAPTION: Record<Severity, string> = {
  INFORMATIONAL: 'Informational',
  LOW: 'Low',
  MEDIUM: 'Medium',
  HIGH: 'High',
  CRITICAL: 'Critical',
};
/** OCSF compliance.status_id: 0 Unknown, 1 Pass, 2 Warning, 3 Fail (NOT_AVAILABLE: not evaluated, Unknown). */
const COMPLIANCE_STATUS_ID: Record<Status, number> = { PASSED: 1, WARNING: 2, FAILED: 3, NOT_AVAILABLE: 0 };

/** The framework names behind the related requirements' prefixes. */
function standards(requirements: readonly string[]): string[] {
  const names = requirements.map((r) =>
    r.startsWith('NIST.800-53.r5 ')
      ? 'NIST SP 800-53 Rev. 5'
      : r.startsWith('CIS Controls v8/')
        ? 'CIS Controls v8'
        : r.startsWith('PCI DSS v4.0.1/')
          ? 'PCI DSS v4.0.1'
          : 'InfluxData Manage security',
  );
  return [...new Set(names)];
}

export type OcsfEvent = Record<string, unknown>;

/** One finding as an OCSF Compliance Finding event; `time` is the scan's end. */
export function toOcsf(f: Finding, doc: Pick<ScanDocument, 'scanId' | 'finishedAt'>): OcsfEvent {
  const check = checkById(f.checkId);
  const time = Date.parse(doc.finishedAt);
  const uid = documentFindingId(f);
  const requirements = f.compliance?.relatedRequirements ?? [];
  const summary = typeof f.evidence.summary === 'string' ? f.evidence.summary : '';
  const cloud = f.accountId && f.region;
  const resource = (type: string, id: string) => ({
    uid: cloud ? resourceArn(f, { type: type as Finding['resource']['type'], id }, f.region!, f.accountId!) : id,
    name: id,
    type,
    ...(cloud ? { region: f.region, cloud_partition: 'aws' } : {}),
  });
  const resources = [resource(f.resource.type, f.resource.id)];
  // The subject behind a group, volume or load-balancer finding, as its kind names it in ASFF (an EC2 instance, an ECS service).
  const subject = subjectResource(f);
  if (subject && f.instanceId !== f.resource.id && f.resource.type !== 'Other') resources.push(resource(subject.type, subject.id));
  if (f.endpoint) resources.push({ uid: f.endpoint, name: f.endpoint, type: 'InfluxDB endpoint' });
  return printableDeep<OcsfEvent>({
    activity_id: ACTIVITY_CREATE,
    activity_name: 'Create',
    category_uid: 2,
    category_name: 'Findings',
    class_uid: CLASS_UID,
    class_name: 'Compliance Finding',
    type_uid: CLASS_UID * 100 + ACTIVITY_CREATE,
    type_name: 'Compliance Finding: Create',
    time,
    severity_id: SEVERITY_ID[f.severity],
    severity: SEVERITY_CAPTION[f.severity],
    // The finding's own workflow status (New, or Suppressed for an accepted risk); the check's result is
    // compliance.status_id and status_code.
    status_id: f.suppression ? 3 : 1,
    status: f.suppression ? 'Suppressed' : 'New',
    ...(f.suppression ? { comment: suppressionNote(f.suppression) } : {}),
    status_code: f.status,
    ...(summary ? { status_detail: summary } : {}),
    message: summary ? `${f.title}: ${summary}` : f.title,
    metadata: {
      version: OCSF_VERSION,
      uid,
      event_code: f.checkId,
      correlation_uid: doc.scanId,
      product: { name: 'influxguard', vendor_name: 'influxguard', version: VERSION },
      ...(cloud ? { profiles: ['cloud'] } : {}),
    },
    ...(cloud
      ? { cloud: { provider: 'AWS', region: f.region, account: { uid: f.accountId, name: f.accountId, type: 'AWS Account', type_id: 10 } } }
      : {}),
    finding_info: {
      uid,
      title: f.title,
      ...(check ? { desc: check.risk, types: [...check.asffTypes], data_sources: [...check.evidence] } : {}),
      created_time: time,
      src_url: f.remediation.url,
    },
    compliance: {
      control: f.checkId,
      status_id: COMPLIANCE_STATUS_ID[f.status],
      ...(requirements.length ? { requirements: [...requirements], standards: standards(requirements) } : {}),
      ...(check ? { category: check.section } : {}),
    },
    resources,
    evidences: [{ name: 'observed', data: f.evidence }],
    remediation: { desc: f.remediation.text, references: [f.remediation.url] },
    unmapped: {
      ...(f.instanceId ? { instance_id: f.instanceId } : {}),
      ...(f.endpoint ? { endpoint: f.endpoint } : {}),
      ...(f.accountId ? { account_id: f.accountId } : {}),
      ...(f.region ? { region: f.region } : {}),
      ...(f.suppression ? { suppression: f.suppression } : {}),
    },
  });
}

export const renderOcsf = (doc: ScanDocument): OcsfEvent[] => doc.findings.map((f) => toOcsf(f, doc));
