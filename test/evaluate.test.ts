import { describe, expect, it } from '@jest/globals';
import { CHECKS } from '../lib/checks/index.js';
import { evaluateInstance, evaluateRegionFailure } from '../lib/evaluate.js';
import type { InstanceCheck } from '../lib/model.js';
import { fail } from '../lib/result.js';
import { summarise } from '../lib/summary.js';
import { ctx } from './support/fixtures.js';

const meta = {
  title: 'A test check title',
  severity: 'HIGH',
  section: 'Ports',
  risk: 'risk text here',
  remediation: { text: 'fix it please', url: 'https://example.com/x' },
  evidence: ['aws'],
  asffTypes: ['Software and Configuration Checks'],
} as const;

describe('the evaluate stage', () => {
  it('names each evidence source in a NOT_AVAILABLE reason when several failed, differently', () => {
    const both: InstanceCheck = { ...meta, id: 'test.both', scope: 'instance', needs: ['network', 'volumes'], evaluate: () => [] };
    const evidence = (volumes: string) => ({ network: fail('ec2:DescribeSecurityGroups failed: Throttling'), volumes: fail(volumes) });
    const base = ctx();
    const [two] = evaluateInstance([both], { ...base, evidence: { ...base.evidence, ...evidence('ec2:DescribeVolumes failed: denied') } });
    expect(two!.evidence.reason).toBe(
      'network: ec2:DescribeSecurityGroups failed: Throttling; volumes: ec2:DescribeVolumes failed: denied',
    );
    const same = 'ec2:DescribeSecurityGroups failed: Throttling';
    const [one] = evaluateInstance([both], { ...base, evidence: { ...base.evidence, ...evidence(same) } });
    expect(one!.evidence.reason).toBe(same);
  });
  it('turns a throwing check into NOT_AVAILABLE, and the scan goes on', () => {
    const boom: InstanceCheck = {
      ...meta,
      id: 'test.boom',
      scope: 'instance',
      needs: ['network'],
      evaluate: () => {
        throw new TypeError('bad index');
      },
    };
    const fine: InstanceCheck = {
      ...meta,
      id: 'test.fine',
      scope: 'instance',
      needs: ['network'],
      evaluate: () => [{ status: 'FAILED', summary: 'x' }],
    };
    const findings = evaluateInstance([boom, fine], ctx());
    expect(findings[0]).toMatchObject({ checkId: 'test.boom', status: 'NOT_AVAILABLE' });
    expect(findings[0]!.evidence.reason).toBe('check failed: bad index');
    expect(findings[1]).toMatchObject({
      checkId: 'test.fine',
      status: 'FAILED',
      severity: 'HIGH',
      instanceId: 'i-0000000000000aaaa',
      resource: { type: 'AwsEc2Instance' },
    });
  });
  it('fills the contract fields from the check metadata', () => {
    const [f] = evaluateInstance(
      CHECKS.filter((c) => c.id === 'net.http-port-public'),
      ctx(),
    );
    expect(Object.keys(f!)).toEqual([
      'checkId',
      'status',
      'severity',
      'title',
      'accountId',
      'region',
      'instanceId',
      'resource',
      'evidence',
      'remediation',
      'compliance',
    ]);
    expect(f!.severity).toBe('INFORMATIONAL'); // PASSED findings carry no risk
  });
  it('a region that could not be listed yields one NOT_AVAILABLE per AWS check', () => {
    const findings = evaluateRegionFailure(CHECKS, {
      accountId: '111122223333',
      region: 'eu-west-1',
      reason: 'ec2:DescribeInstances failed: AuthFailure: nope',
    });
    expect(findings.map((f) => f.checkId)).toEqual(CHECKS.filter((c) => c.evidence.includes('aws')).map((c) => c.id));
    expect(summarise(findings)).toMatchObject({ NOT_AVAILABLE: findings.length, FAILED: 0 });
  });
  it('summarises statuses and failing severities', () => {
    const s = summarise([
      { status: 'FAILED', severity: 'CRITICAL' },
      { status: 'WARNING', severity: 'LOW' },
      { status: 'PASSED', severity: 'INFORMATIONAL', suppression: { reason: 'r', expires: '2027-01-01', source: 'config' } },
    ] as never);
    expect(s).toEqual({
      FAILED: 1,
      PASSED: 1,
      WARNING: 1,
      NOT_AVAILABLE: 0,
      suppressed: 1,
      bySeverity: { INFORMATIONAL: 0, LOW: 1, MEDIUM: 0, HIGH: 0, CRITICAL: 1 },
    });
  });
});
