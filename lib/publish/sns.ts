/**
 * The SNS summary of one scan (pure text building, plus the publish call):
 * counts by status and severity, what changed since the last scan, the worst
 * new findings, a Security Hub link. The list is truncated to fit, the counts
 * never are. Filterable attributes: maxSeverity, newFailures, scanId.
 * Every line, the subject and the attributes are printable(): instance names
 * (tags) and endpoints come from outside and reach mail clients and chat.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { SEVERITIES, isFailing, severityRank, type Finding, type Instance, type ScanDocument, type Severity } from '../model.js';
import { byRisk } from '../summary.js';
import { printable } from '../util/text.js';

export const SUBJECT_MAX = 100;
/** SNS allows 256 KiB; stay clearly under it. */
export const MESSAGE_MAX = 200 * 1024;

export interface Changes {
  newFailures: number;
  resolved: number;
  stillFailing: number;
  /** Whether a finding is failing now and was not before (from the lifecycle). */
  isNew: (f: SummaryFinding) => boolean;
  notImported: number;
}

export interface Summary {
  subject: string;
  message: string;
  attributes: { maxSeverity: string; newFailures: number; scanId: string };
}

const failing = (f: SummaryFinding) => isFailing(f.status);

export function consoleLink(region: string): string {
  const search = encodeURIComponent('GeneratorId=\\operator\\:PREFIX\\influxguard/');
  return `https://${region}.console.aws.amazon.com/securityhub/home?region=${region}#/findings?search=${encodeURIComponent(search)}`;
}

/**
 * A failing finding as the summary lists it (a whole finding, or the compact worst of a fanned-out scan, marked
 * `new` when its unit's publishing found it newly failing).
 */
export type SummaryFinding = Pick<
  Finding,
  'checkId' | 'status' | 'severity' | 'title' | 'accountId' | 'region' | 'instanceId' | 'resource' | 'endpoint' | 'suppression'
> & { name?: string; new?: true };

/** What a summary reads: the scan's frame, its counts, its findings (at least the failing ones) and why it is incomplete. */
export interface SummaryInput extends Pick<ScanDocument, 'scanId' | 'startedAt' | 'finishedAt' | 'scope' | 'summary'> {
  findings: readonly SummaryFinding[];
  incomplete?: readonly string[];
  /** Configured suppressions expiring soon, one line each (`suppressions[0] (check, subject) expires on DATE`). */
  expiring?: readonly string[];
}

export function buildSummary(
  doc: SummaryInput,
  changes: Changes | undefined,
  instances: readonly Pick<Instance, 'instanceId' | 'name'>[] = [],
): Summary {
  const s = doc.summary;
  const names = new Map<string, string | undefined>(instances.map((i) => [i.instanceId, i.name]));
  for (const f of doc.findings) if (f.instanceId && f.name) names.set(f.instanceId, f.name);
  const incomplete = doc.incomplete ?? [];
  const worst = doc.findings
    .filter(failing)
    .reduce<Severity | 'NONE'>((m, f) => (m === 'NONE' || severityRank(f.severity) > severityRank(m) ? f.severity : m), 'NONE');
  const sev = [...SEVERITIES]
    .reverse()
    .filter((x) => s.bySeverity[x] > 0)
    .map((x) => `${s.bySeverity[x]} ${x}`)
    .join(', ');
  const accounts = doc.scope.accounts.join(', ');
  // Accepted risks are counted apart, never listed among the worst.
  const fresh = doc.findings.filter((f) => failing(f) && !f.suppression && (!changes || changes.isNew(f))).sort(byRisk);

  const head = [
    `influxguard scan ${doc.scanId}`,
    `Accounts: ${accounts || '-'}; regions: ${doc.scope.regions.join(', ') || '-'}; ${doc.startedAt} → ${doc.finishedAt}`,
    // A scan of chosen checks (the API's `checks`): its counts are theirs alone.
    ...(doc.scope.checks ? [`Partial scan: only the checks ${doc.scope.checks.join(', ')}`.slice(0, 1000)] : []),
    '',
    `Findings: ${s.FAILED} FAILED${sev ? ` (${sev})` : ''}, ${s.WARNING} WARNING, ${s.NOT_AVAILABLE} NOT_AVAILABLE, ${s.PASSED} PASSED`,
    ...(s.suppressed ? [`Accepted risks (suppressed): ${s.suppressed} finding(s), included in the counts above`] : []),
    ...(doc.expiring ?? []).slice(0, 20).map((e) => `SUPPRESSION EXPIRING: ${e.slice(0, 300)}`),
    ...incomplete.slice(0, 10).map((r) => `INCOMPLETE: ${r.slice(0, 300)}`),
    changes
      ? `Since the last scan: ${changes.newFailures} new failures, ${changes.resolved} resolved, ${changes.stillFailing} still failing`
      : 'Changes since the last scan: unknown (not published to Security Hub)',
    ...(changes?.notImported ? [`Not imported into Security Hub: ${changes.notImported} finding(s) (listed in the scan result)`] : []),
    '',
    `${changes ? 'Worst new findings' : 'Worst findings'}:`,
  ].map((l) => printable(l));
  const tail = ['', ...doc.scope.regions.slice(0, 5).map((r) => printable(`Security Hub (${r}): ${consoleLink(r)}`))];
  let body = [...head];
  let used = Buffer.byteLength([...head, ...tail].join('\n'));
  let shown = 0;
  // Lines are built only while they fit (a first scan of thousands of instances has tens of thousands of new failures).
  for (const f of fresh) {
    const line = printable(
      `  ${f.severity.padEnd(13)} ${f.checkId}  ${f.instanceId ?? f.endpoint ?? f.resource.id}${f.instanceId && names.get(f.instanceId) ? ` (${names.get(f.instanceId)})` : ''}  ${f.title}`,
    );
    const size = Buffer.byteLength(line) + 1;
    if (used + size + 64 > MESSAGE_MAX) break;
    body.push(line);
    used += size;
    shown++;
  }
  // How many there are: a fanned-out scan's summary carries only each unit's worst, the counts carry them all.
  const total = Math.max(fresh.length, changes ? changes.newFailures : s.FAILED + s.WARNING);
  if (!total) body.push('  none');
  if (shown < total) body.push(`  … and ${total - shown} more`);
  body = [...body, ...tail];

  const newCount = changes ? changes.newFailures : fresh.length;
  const subject = printable(
    newCount > 0
      ? `influxguard: ${newCount} new failure${newCount === 1 ? '' : 's'}, worst ${worst} (${accounts})`
      : `influxguard: ${s.FAILED} failing, no new failures (${accounts})`,
  ).slice(0, SUBJECT_MAX);
  return { subject, message: body.join('\n'), attributes: { maxSeverity: worst, newFailures: newCount, scanId: printable(doc.scanId) } };
}

export type NotifyMode = 'always' | 'on-change';

/** Whether the summary goes out under the configured mode and minimum severity. */
export function shouldNotify(summary: Summary, changes: Changes | undefined, mode: NotifyMode, minSeverity?: Severity): boolean {
  if (mode === 'on-change' && changes && changes.newFailures + changes.resolved === 0) return false;
  if (
    minSeverity &&
    (summary.attributes.maxSeverity === 'NONE' || severityRank(summary.attributes.maxSeverity as Severity) < severityRank(minSeverity))
  )
    return false;
  return true;
}

export async function publishSummary(sns: SNSClient, topicArn: string, summary: Summary): Promise<string | undefined> {
  const out = await sns.send(
    new PublishCommand({
      TopicArn: topicArn,
      // The edge: whatever built the summary, nothing but our own newlines leaves as a control character.
      Subject: printable(summary.subject),
      Message: printable(summary.message, '\n'),
      MessageAttributes: {
        maxSeverity: { DataType: 'String', StringValue: printable(summary.attributes.maxSeverity) },
        newFailures: { DataType: 'Number', StringValue: String(summary.attributes.newFailures) },
        scanId: { DataType: 'String', StringValue: printable(summary.attributes.scanId) },
      },
    }),
  );
  return out.MessageId;
}
