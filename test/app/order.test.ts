/** Instances with the same worst severity come out in the same order, whatever order the units finished in. */
import { expect, it } from '@jest/globals';
import { aggregate } from '../../lib/app/service.js';
import type { UnitResult } from '../../lib/app/store.js';
import { buildSummary } from '../../lib/publish/sns.js';

const unit = (instanceId: string, region = 'eu-west-1'): UnitResult => ({
  accountId: '111122223333',
  region,
  instances: 1,
  summary: {
    FAILED: 1,
    PASSED: 0,
    WARNING: 0,
    NOT_AVAILABLE: 0,
    suppressed: 0,
    bySeverity: { INFORMATIONAL: 0, LOW: 0, MEDIUM: 0, HIGH: 1, CRITICAL: 0 },
  },
  worst: [
    {
      checkId: 'net.http-port-public',
      status: 'FAILED',
      severity: 'HIGH',
      title: 't',
      accountId: '111122223333',
      region,
      instanceId,
      resource: { type: 'AwsEc2SecurityGroup', id: 'sg-1' },
    },
  ],
});

it('orders the worst findings of a fanned-out scan deterministically (severity, check, account, region, instance, resource)', () => {
  const units = [unit('i-3'), unit('i-1', 'us-east-1'), unit('i-2')];
  const orders = [units, [...units].reverse(), [units[1]!, units[0]!, units[2]!]].map((u) =>
    aggregate(u).worst.map((w) => `${w.region}/${w.instanceId}`),
  );
  expect(orders[0]).toEqual(['eu-west-1/i-2', 'eu-west-1/i-3', 'us-east-1/i-1']);
  expect(orders[1]).toEqual(orders[0]);
  expect(orders[2]).toEqual(orders[0]);
  const agg = aggregate(units);
  const text = (u: UnitResult[]) =>
    buildSummary(
      {
        scanId: 's',
        startedAt: 'a',
        finishedAt: 'b',
        scope: { accounts: [], regions: [] },
        summary: aggregate(u).summary,
        findings: aggregate(u).worst,
      },
      undefined,
    ).message;
  expect(text([...units].reverse())).toBe(text(units));
  expect(agg.summary.FAILED).toBe(3);
});

it('counts new failures from records of either form (a count; the ids, as units recorded them before)', () => {
  const publish = { imported: 1, resolved: 0, archived: 0, failed: 0 };
  const now = { ...unit('i-1'), publish: { ...publish, newFailures: 3 } };
  const before = { ...unit('i-2'), publish: { ...publish, newFailures: ['a', 'b'] as unknown as number } };
  expect(aggregate([now, before]).publish?.newFailures).toBe(5);
});
