/** `--format ocsf`: one Compliance Finding (2003) per finding, validated by py-ocsf-models (make setup: .venv-ocsf). */
import { afterAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScanDocument } from '../../lib/model.js';
import { documentFindingId } from '../../lib/findings/asff.js';
import { renderOcsf } from '../../lib/render/ocsf.js';
import { reportDocument } from '../support/report-doc.js';

const PYTHON = new URL('../../.venv-ocsf/bin/python', import.meta.url).pathname;
const VALIDATOR = new URL('../support/ocsf_validate.py', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'ig-ocsf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** py-ocsf-models' verdict on the events. */
function validate(events: unknown[]): { validated: number; errors: string[]; ocsf_version: string; py_ocsf_models: string } {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} missing: run make setup (py-ocsf-models in .venv-ocsf)`);
  const file = join(dir, `events-${events.length}.json`);
  writeFileSync(file, JSON.stringify(events));
  return JSON.parse(execFileSync(PYTHON, [VALIDATOR, file], { encoding: 'utf8' }));
}

const { doc } = reportDocument();

describe('OCSF Compliance Finding events', () => {
  const events = renderOcsf(doc) as Record<string, any>[];

  it('are valid for py-ocsf-models, one per finding, with no key the models do not know', () => {
    const verdict = validate(events);
    expect(verdict).toMatchObject({ validated: doc.findings.length, errors: [], ocsf_version: '1.5.0' });
    expect(events.length).toBe(doc.findings.length);
  });

  it('carry the same ids, severities, statuses, resources, evidence, remediation and requirements', () => {
    const severityId = { INFORMATIONAL: 1, LOW: 2, MEDIUM: 3, HIGH: 4, CRITICAL: 5 };
    const statusId = { PASSED: 1, WARNING: 2, FAILED: 3, NOT_AVAILABLE: 0 };
    doc.findings.forEach((f, i) => {
      const e = events[i]!;
      expect(e).toMatchObject({ class_uid: 2003, category_uid: 2, type_uid: 200301, activity_id: 1 });
      expect(e.finding_info.uid).toBe(documentFindingId(f));
      expect(e.metadata).toMatchObject({ uid: documentFindingId(f), event_code: f.checkId, correlation_uid: doc.scanId });
      expect(e.severity_id).toBe(severityId[f.severity]);
      expect(e.status_code).toBe(f.status);
      expect(e.compliance).toMatchObject({ control: f.checkId, status_id: statusId[f.status] });
      expect(e.compliance.requirements ?? []).toEqual(f.compliance?.relatedRequirements ?? []);
      expect(e.resources[0]).toMatchObject({ name: f.resource.id, type: f.resource.type, region: f.region });
      expect(e.resources[0].uid).toMatch(/^arn:aws:ec2:eu-west-1:111122223333:|^AWS::::Account:111122223333$/);
      expect(e.remediation).toEqual({ desc: f.remediation.text, references: [f.remediation.url] });
      expect(e.time).toBe(Date.parse(doc.finishedAt));
      expect(e.cloud).toMatchObject({ provider: 'AWS', region: 'eu-west-1', account: { uid: '111122223333', type_id: 10 } });
    });
    const volume = events.find((e) => e.metadata.event_code === 'ebs.volume-unencrypted' && e.status_code === 'FAILED')!;
    expect(volume.resources.map((r: { type: string }) => r.type)).toEqual(['AwsEc2Volume', 'AwsEc2Instance']);
    expect(volume.evidences[0].data).toMatchObject({ volumeId: 'vol-0000000000000000a' });
  });

  it('probe findings (no account or region) are valid too, without the cloud profile', () => {
    const probe: ScanDocument = {
      ...doc,
      scope: { accounts: [], regions: [] },
      findings: doc.findings
        .filter((f) => f.endpoint)
        .map(({ accountId: _a, region: _r, instanceId: _i, ...f }) => ({ ...f, resource: { type: 'Other', id: f.endpoint! } })),
    };
    const evs = renderOcsf(probe) as Record<string, any>[];
    expect(evs.length).toBeGreaterThan(0);
    expect(validate(evs)).toMatchObject({ validated: evs.length, errors: [] });
    expect(evs[0]!.cloud).toBeUndefined();
    expect(evs[0]!.finding_info.uid).toMatch(/^influxguard\/probe\//);
  });

  it('a suppressed finding (an accepted risk) is valid too: status Suppressed, comment and unmapped.suppression', () => {
    const f = doc.findings.find((x) => x.status === 'FAILED')!;
    const suppression = { reason: 'bastion SSH', expires: '2027-03-31', source: 'config' as const };
    const evs = renderOcsf({ ...doc, findings: [{ ...f, suppression }] }) as Record<string, any>[];
    expect(validate(evs)).toMatchObject({ validated: 1, errors: [] });
    expect(evs[0]).toMatchObject({ status_id: 3, status: 'Suppressed', comment: 'influxguard: accepted until 2027-03-31: bastion SSH' });
    expect(evs[0]!.unmapped.suppression).toEqual(suppression);
  });

  it('outside text is printable', () => {
    expect(JSON.stringify(events)).not.toMatch(/\\u001b/);
  });
});
