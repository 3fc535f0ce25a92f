/**
 * Compliance mappings: every registered check carries its own (`compliance`, in its family file), with
 * the source of each, in Security Hub's string form; findings and ASFF carry them.
 */
import { describe, expect, it } from '@jest/globals';
import { GUIDANCE_PREFIX, relatedRequirements, type Framework } from '../../lib/checks/compliance.js';
import { CHECKS } from '../../lib/checks/index.js';
import { evaluateInstance } from '../../lib/evaluate.js';
import { toAsff } from '../../lib/findings/asff.js';
import { ctx } from '../support/fixtures.js';

const FORM: Record<Framework, RegExp> = {
  nist: /^NIST\.800-53\.r5 [A-Z]{2}-\d+(\(\d+\))?$/,
  cis: /^CIS Controls v8\/\d+\.\d+$/,
  pci: /^PCI DSS v4\.0\.1\/\d+(\.\d+)+$/,
};

describe('compliance mappings', () => {
  describe.each(CHECKS.map((c) => [c.id, c] as const))('%s', (_id, check) => {
    const m = check.compliance;
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

    it("reaches its findings: the guidance section and each framework's controls in Security Hub's form", () => {
      const related = relatedRequirements(check);
      if (m.guidance !== false) expect(related[0]).toBe(GUIDANCE_PREFIX + check.section);
      else expect(related.some((r) => r.startsWith(GUIDANCE_PREFIX))).toBe(false);
      for (const fw of ['nist', 'cis', 'pci'] as const) {
        const ofKind = related.filter((r) => FORM[fw].test(r));
        if (!('notApplicable' in m[fw])) expect(ofKind.length).toBeGreaterThan(0);
        else expect(ofKind).toEqual([]);
      }
      for (const r of related) expect(r.startsWith(GUIDANCE_PREFIX) || Object.values(FORM).some((re) => re.test(r))).toBe(true);
      expect(new Set(related).size).toBe(related.length);
      expect(related.length).toBeLessThanOrEqual(32); // ASFF Compliance.RelatedRequirements maximum
      expect(relatedRequirements(check)).toBe(related); // one array per check, shared by its findings
    });
  });

  it('a check that declares none (a test double) has none', () => {
    expect(relatedRequirements({ section: 'Ports' })).toEqual([]);
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
