/**
 * Findings as CSV for spreadsheets: one row per finding, the columns below (docs/usage-and-outputs.md, "Output formats").
 * Quoting is RFC 4180, by csv-stringify. Cells hold outside text (tags, certificates, server headers):
 * control characters are removed, and a cell that a spreadsheet would take for a formula (starting
 * with = + - @, tab or carriage return) is prefixed with a single quote (OWASP "CSV injection").
 */
import { stringify } from 'csv-stringify/sync';
import type { Finding, ScanDocument } from '../model.js';
import { documentFindingId } from '../findings/asff.js';
import { acceptedText } from '../suppress.js';
import { jsonText, printable } from '../util/text.js';

export const CSV_COLUMNS = [
  ['finding_id', (f) => documentFindingId(f)],
  ['check_id', (f) => f.checkId],
  ['status', (f) => f.status],
  ['severity', (f) => f.severity],
  ['title', (f) => f.title],
  ['account_id', (f) => f.accountId ?? ''],
  ['region', (f) => f.region ?? ''],
  ['instance_id', (f) => f.instanceId ?? ''],
  ['resource_type', (f) => f.resource.type],
  ['resource_id', (f) => f.resource.id],
  ['endpoint', (f) => f.endpoint ?? ''],
  ['summary', (f) => (typeof f.evidence.summary === 'string' ? f.evidence.summary : '')],
  ['remediation', (f) => f.remediation.text],
  ['remediation_url', (f) => f.remediation.url],
  ['related_requirements', (f) => (f.compliance?.relatedRequirements ?? []).join('; ')],
  ['evidence_json', (f) => jsonText(f.evidence)],
  // The accepted risk (CHECKS.md "Accepted risks"): `accepted until DATE: reason`, empty when not suppressed.
  ['suppression', (f) => (f.suppression ? acceptedText(f.suppression) : '')],
] as const satisfies readonly (readonly [string, (f: Finding) => string])[];

/** A cell a spreadsheet shows as text, never evaluates. */
export function safeCell(value: string): string {
  const text = printable(value);
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

export function renderCsv(doc: ScanDocument): string {
  const rows = doc.findings.map((f) => CSV_COLUMNS.map(([, cell]) => safeCell(cell(f))));
  return stringify([CSV_COLUMNS.map(([name]) => name), ...rows], { record_delimiter: 'windows' });
}
