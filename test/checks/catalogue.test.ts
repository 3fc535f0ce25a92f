/** Table-driven over the whole registry, against the CHECKS.md contract. */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { CHECKS } from '../../lib/checks/index.js';
import { SEVERITIES } from '../../lib/model.js';
import { PENDING } from '../support/pending.js';

const vendored = readFileSync(new URL('../../docs/CHECKS.md', import.meta.url), 'utf8');
const sharedPath = new URL('../../../shared/CHECKS.md', import.meta.url);

interface Row {
  id: string;
  section: string;
  evidence: string[];
  severity: string;
}
const rows: Row[] = vendored
  .split('\n')
  .filter((l) => /^\| `[a-z][a-z0-9]*\.[a-z0-9-]+` \|/.test(l))
  .map((l) => {
    const cells = l.split('|').map((c) => c.trim());
    return {
      id: cells[1]!.replace(/`/g, ''),
      section: cells[2]!,
      evidence: cells[3]!
        .replace(/\(.*?\)|with (operator-supplied credentials|an operator-supplied token)/g, '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      severity: cells[5]!.split(/[;, ]/)[0]!,
    };
  });
const byId = new Map(rows.map((r) => [r.id, r]));

describe('the check catalogue', () => {
  it('docs/CHECKS.md is the shared contract, unchanged', () => {
    if (existsSync(sharedPath)) expect(vendored).toBe(readFileSync(sharedPath, 'utf8'));
    expect(rows.length).toBeGreaterThanOrEqual(24);
  });

  it('has unique ids, all in CHECKS.md', () => {
    const ids = CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(byId.has(id)).toBe(true);
  });

  it('covers the catalogue: every id is implemented or pending, never both', () => {
    const implemented = new Set(CHECKS.map((c) => c.id));
    expect(rows.filter((r) => implemented.has(r.id) === r.id in PENDING).map((r) => r.id)).toEqual([]);
  });

  describe.each(CHECKS.map((c) => [c.id, c] as const))('%s', (id, c) => {
    const row = byId.get(id)!;
    it('has metadata: title, risk, remediation text and https URL, and when it fails for the docs', () => {
      expect(c.title.length).toBeGreaterThan(10);
      expect(c.failedWhen.length).toBeGreaterThan(10);
      expect(c.risk.length).toBeGreaterThan(10);
      expect(c.remediation.text.length).toBeGreaterThan(10);
      expect(c.remediation.url).toMatch(/^https:\/\/[a-z0-9.-]+\.[a-z]{2,}\//);
    });
    it('matches its CHECKS.md row: section, evidence, base severity', () => {
      expect(c.section).toBe(row.section);
      expect([...c.evidence].sort()).toEqual([...row.evidence].sort());
      expect(c.severity).toBe(row.severity);
      expect(SEVERITIES).toContain(c.severity);
    });
    it('declares the evidence keys it reads, and its ASFF types', () => {
      expect(c.needs.length).toBeGreaterThan(0);
      expect(c.asffTypes.length).toBeGreaterThan(0);
      for (const t of c.asffTypes)
        expect(t).toMatch(
          /^(Software and Configuration Checks|TTPs|Effects|Unusual Behaviors|Sensitive Data Identifications)(\/[^/]+){0,2}$/,
        );
    });
    it('is answered by the host exactly when CHECKS.md says the host is evidence (endpoint checks carry their host verdict)', () => {
      if (c.scope === 'endpoint') expect(c.hostVerdict !== undefined).toBe(c.evidence.includes('host'));
    });
  });
});
