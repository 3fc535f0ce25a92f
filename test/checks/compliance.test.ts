/** Compliance mappings: every catalogue id has one, cited, in Security Hub's string form; findings and ASFF carry them. */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { CATALOGUE_IDS, COMPLIANCE, GUIDANCE_PREFIX, relatedRequirements, type Framework } from '../../lib/checks/compliance.js';
import { CHECKS } from '../../lib/checks/index.js';
import { evaluateInstance } from '../../lib/evaluate.js';
import { toAsff } from '../../lib/findings/asff.js';
import { ctx } from '../support/fixtures.js';
import { PENDING } from '../support/pending.js';

/** The catalogue's ids, less those not implemented yet (their mappings come with them). */
const catalogue = readFileSync(new URL('../../docs/CHECKS.md', import.meta.url), 'utf8')
  .split('\n')
  .map((l) => /^\| `([a-z]+\.[a-z0-9-]+)` \|/.exec(l)?.[1])
  .filter((id): id is string => id !== undefined && !(id in PENDING));

const FORM: Record<Framework, RegExp> = {
  nist: /^NIST\.800-53\.r5 [A-Z]{2}-\d+(\(\d+\))?$/,
  cis: /^CIS Controls v8\/\d+\.\d+$/,
  pci: /^PCI DSS v4\.0\.1\/\d+(\.\d+)+$/,
};

describe('compliance mappings', () => {
  it('cover exactly the CHECKS.md catalogue (less the checks pending implementation)', () => {
    expect([...CATALOGUE_IDS].sort()).toEqual([...catalogue].sort());
    expect(Object.keys(COMPLIANCE).sort()).toEqual([...catalogue].sort());
  });

  it('every registered check is a catalogue id', () => {
    for (const c of CHECKS) expect(CATALOGUE_IDS as readonly string[]).toContain(c.id);
  });

  describe.each(CATALOGUE_IDS.map((id) => [id] as const))('%s', (id) => {
    const m = COMPLIANCE[id];
    it.each(['nist', 'cis', 'pci'] as const)('maps %s controls with their source, or says why none applies', (fw) => {
      const x = m[fw];
      if ('notApplicable' in x) {
        expect(x.notApplicable.length).toBeGreaterThan(10);
        return;
      }
      expect(x.length).toBeGreaterThan(0);
      for (const c of x) {
        expect(c.framework).toBe(fw);
        expect(c.controls.length).toBeGreaterThan(0);
        expect(c.basis).toMatch(/^(AWS Security Hub FSBP [A-Za-z0-9]+\.\d+|influxguard judgement: .{10,})$/);
        if (c.basis.startsWith('AWS'))
          expect(c.url).toMatch(/^https:\/\/docs\.aws\.amazon\.com\/securityhub\/latest\/userguide\/[a-z0-9-]+\.html#/);
        else expect(c.url).toMatch(/^https:\/\//);
      }
    });
  });

  describe.each(CHECKS.map((c) => [c.id, c] as const))('%s findings', (_id, check) => {
    const related = relatedRequirements(check);
    it("carry the guidance section and each framework's controls in Security Hub's form", () => {
      const m = COMPLIANCE[check.id as (typeof CATALOGUE_IDS)[number]];
      if (m.guidance !== false) expect(related[0]).toBe(GUIDANCE_PREFIX + check.section);
      for (const fw of ['nist', 'cis', 'pci'] as const) {
        const ofKind = related.filter((r) => FORM[fw].test(r));
        if (!('notApplicable' in m[fw])) expect(ofKind.length).toBeGreaterThan(0);
      }
      for (const r of related) expect(r.startsWith(GUIDANCE_PREFIX) || Object.values(FORM).some((re) => re.test(r))).toBe(true);
      expect(new Set(related).size).toBe(related.length);
      expect(related.length).toBeLessThanOrEqual(32); // ASFF Compliance.RelatedRequirements maximum
    });
  });

  it('reach the JSON finding and ASFF Compliance.RelatedRequirements', () => {
    const [f] = evaluateInstance(
      CHECKS.filter((c) => c.id === 'net.http-port-public'),
      ctx(),
    );
    expect(f!.compliance?.relatedRequirements).toEqual(expect.arrayContaining(['NIST.800-53.r5 SC-7', 'PCI DSS v4.0.1/1.3.1']));
    const asff = toAsff(f!, { now: '2026-11-29T00:00:00.000Z' });
    expect(asff.Compliance?.RelatedRequirements).toEqual(f!.compliance!.relatedRequirements);
  });
});
