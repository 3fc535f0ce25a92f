/** Accepted risks in every output: a suppressed finding is marked, listed apart and counted apart (CHECKS.md). */
import { describe, expect, it } from '@jest/globals';
import { toAsff } from '../../lib/findings/asff.js';
import type { ScanDocument } from '../../lib/model.js';
import { buildSummary } from '../../lib/publish/sns.js';
import { renderCsv } from '../../lib/render/csv.js';
import { renderHtml } from '../../lib/render/html.js';
import { renderOcsf } from '../../lib/render/ocsf.js';
import { renderTable } from '../../lib/render/table.js';
import { summarise } from '../../lib/summary.js';
import { reportDocument } from '../support/report-doc.js';

const suppression = { reason: 'bastion SSH, ticket SEC-1234\x1b[2J', expires: '2027-03-31', source: 'config' as const };

/** The report document with its first FAILED finding suppressed. */
function suppressedDocument(): { doc: ScanDocument; index: number } {
  const { doc } = reportDocument();
  const index = doc.findings.findIndex((f) => f.status === 'FAILED' && f.instanceId);
  doc.findings[index] = { ...doc.findings[index]!, suppression };
  return { doc: { ...doc, summary: summarise(doc.findings) }, index };
}

describe('a suppressed finding in the outputs', () => {
  const { doc, index } = suppressedDocument();
  const f = doc.findings[index]!;

  it('the summary counts it apart and in its status', () => {
    expect(doc.summary.suppressed).toBe(1);
    expect(doc.summary.FAILED).toBe(reportDocument().doc.summary.FAILED);
  });

  it('the table lists it apart at the end, one line with reason and expiry', () => {
    const table = renderTable(doc, { color: false, width: 200 });
    const at = table.indexOf('Accepted risks (suppressed): 1');
    expect(at).toBeGreaterThan(0);
    expect(table.slice(0, at)).not.toContain('SEC-1234');
    const line = table.slice(at).split('\n')[1]!;
    expect(line).toContain(`${f.status} ${f.severity} ${f.checkId} ${f.instanceId}`);
    expect(line).toContain('accepted until 2027-03-31: bastion SSH, ticket SEC-1234');
    expect(table).not.toContain('\x1b');
    expect(table).toMatch(/\(1 suppressed\)/);
  });

  it('CSV has a suppression column', () => {
    const lines = renderCsv(doc).split('\r\n');
    expect(lines[0]).toMatch(/,suppression$/);
    expect(lines[index + 1]).toMatch(/,"accepted until 2027-03-31: bastion SSH, ticket SEC-1234\[2J"$/);
    expect(lines.filter((l) => l.includes('accepted until'))).toHaveLength(1);
  });

  it('ASFF: workflow SUPPRESSED and the influxguard: note', () => {
    const asff = toAsff(f, { now: '2026-12-01T00:00:00.000Z' });
    expect(asff.Workflow).toEqual({ Status: 'SUPPRESSED' });
    expect(asff.Note).toEqual({
      Text: 'influxguard: accepted until 2027-03-31: bastion SSH, ticket SEC-1234[2J',
      UpdatedBy: 'influxguard',
      UpdatedAt: '2026-12-01T00:00:00.000Z',
    });
    expect(asff.Compliance?.Status).toBe('FAILED');
    expect(toAsff(doc.findings[index + 1]!, { now: '2026-12-01T00:00:00.000Z' }).Workflow).toBeUndefined();
  });

  it('OCSF: status Suppressed, the note as comment, the suppression in its own field', () => {
    const e = renderOcsf(doc)[index] as Record<string, any>;
    expect(e).toMatchObject({ status_id: 3, status: 'Suppressed', status_code: 'FAILED' });
    expect(e.comment).toMatch(/^influxguard: accepted until 2027-03-31: /);
    expect(e.unmapped.suppression).toMatchObject({ expires: '2027-03-31', source: 'config' });
  });

  it('the HTML report shows it apart with reason and expiry', async () => {
    const html = await renderHtml(doc);
    const apart = html.slice(html.indexOf('<section id="accepted">'));
    expect(html.indexOf('<section id="accepted">')).toBeGreaterThan(0);
    expect(apart).toContain('Accepted risks (suppressed): 1');
    expect(apart).toContain('data-suppressed="true"');
    expect(apart).toMatch(/Accepted risk<\/b> until 2027-03-31: bastion SSH, ticket SEC-1234/);
    expect(html.slice(0, html.indexOf('<section id="accepted">'))).not.toContain('data-suppressed');
  });

  it('the SNS summary counts it apart and does not list it among the worst', () => {
    const s = buildSummary(doc, undefined);
    expect(s.message).toContain('Accepted risks (suppressed): 1 finding(s)');
    const worst = s.message.slice(s.message.indexOf('Worst findings:'));
    expect(worst).not.toContain(`${f.checkId}  ${f.instanceId}`);
  });

  it('the SNS summary lists suppressions expiring soon', () => {
    const expiring = ['suppressions[0] (net.http-port-public, instanceId i-1) expires on 2027-03-31'];
    expect(buildSummary({ ...doc, expiring }, undefined).message).toContain(`SUPPRESSION EXPIRING: ${expiring[0]}`);
  });
});
