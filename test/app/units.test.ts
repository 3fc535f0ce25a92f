import { describe, expect, it } from '@jest/globals';
import { messageBatches, parseScanRequest } from '../../lib/app/service.js';
import { planUnits, WorkUnitSchema } from '../../lib/app/units.js';
import { CHECKS } from '../../lib/checks/index.js';
import { assessmentKey, type Finding } from '../../lib/model.js';
import { publishScope } from '../../lib/publish/index.js';
import { findingId, toAsff } from '../../lib/findings/asff.js';
import { planImports } from '../../lib/publish/lifecycle.js';

const ids = (n: number, p = 'i-') => Array.from({ length: n }, (_, i) => `${p}${String(i).padStart(8, '0')}`);

describe('work units', () => {
  it('split each account × region into units of at most N instances; region checks run in one', () => {
    const units = planUnits(
      's',
      [
        { accountId: '111122223333', region: 'eu-west-1', instanceIds: ids(250) },
        { accountId: '111122223333', region: 'us-east-1', instanceIds: [] },
        { accountId: '444455556666', region: 'eu-west-1' },
      ],
      100,
      { publish: true },
    );
    expect(units.map((u) => [u.region, u.instanceIds?.length ?? null, u.regionChecks])).toEqual([
      ['eu-west-1', 100, true],
      ['eu-west-1', 100, false],
      ['eu-west-1', 50, false],
      ['us-east-1', 0, true], // an empty region still gets a unit: it archives findings of vanished instances
      ['eu-west-1', null, true], // could not be listed at dispatch: the worker scans the whole region
    ]);
    expect(units.every((u) => u.unitsTotal === 5 && u.regionComplete)).toBe(true);
    expect(units.map((u) => u.unitIndex)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('work-unit messages (issue 19, item 11)', () => {
  const KiB = 1024;
  it('a region of 5,000 instances dispatches: each message carries only its unit’s instances, every batch < 256 KiB', () => {
    const units = planUnits(
      '0b7e4c1a-5d7e-4a43-9a55-3f6f5d0e2a11',
      [{ accountId: '111122223333', region: 'eu-west-1', instanceIds: ids(5000, 'i-0123456789') }],
      100,
      { publish: true, checks: CHECKS.map((c) => c.id) },
    );
    expect(units).toHaveLength(50);
    const batches = messageBatches(units);
    expect(batches).toHaveLength(5);
    for (const entries of batches) {
      expect(entries.length).toBeLessThanOrEqual(10);
      for (const e of entries) {
        expect(Buffer.byteLength(e.MessageBody!)).toBeLessThan(256 * KiB);
        const body = JSON.parse(e.MessageBody!);
        expect(body.knownInstanceIds).toBeUndefined();
        expect(body.instanceIds.length).toBeLessThanOrEqual(100);
      }
      expect(entries.reduce((n, e) => n + Buffer.byteLength(e.MessageBody!), 0)).toBeLessThan(256 * KiB);
    }
  });
  it('bounds checks and instances in a request and in a unit', () => {
    expect(() => parseScanRequest({ checks: [...CHECKS.map((c) => c.id), CHECKS[0]!.id] })).toThrow(/checks/);
    const unit = planUnits('s', [{ accountId: '111122223333', region: 'eu-west-1', instanceIds: ids(3) }], 100, { publish: false })[0]!;
    expect(WorkUnitSchema().safeParse({ ...unit, checks: Array(CHECKS.length + 1).fill(CHECKS[0]!.id) }).success).toBe(false);
    expect(WorkUnitSchema().safeParse({ ...unit, instanceIds: ids(1001) }).success).toBe(false);
  });
});

describe('the lifecycle of a work unit', () => {
  const A = '111122223333';
  const f = (instanceId: string): Finding => ({
    checkId: 'net.http-port-public',
    status: 'FAILED',
    severity: 'HIGH',
    title: 't',
    accountId: A,
    region: 'eu-west-1',
    instanceId,
    resource: { type: 'AwsEc2SecurityGroup', id: 'sg-1' },
    evidence: { summary: 's' },
    remediation: { text: 'x', url: 'https://x.example/' },
  });
  const active = new Map(
    [f('i-mine'), f('i-other-unit'), f('i-gone')].map((x) => [findingId(x), toAsff(x, { now: '2026-11-01T00:00:00.000Z' })]),
  );
  const scope = (complete: boolean) =>
    publishScope({
      accountId: A,
      region: 'eu-west-1',
      instanceIds: ['i-mine'],
      knownInstanceIds: ['i-mine', 'i-other-unit'],
      goneInstanceIds: [],
      assessed: new Set(CHECKS.map((c) => assessmentKey('i-mine', c.id))),
      complete,
    });
  it('leaves other units’ instances alone, archives vanished ones, resolves its own', () => {
    const plan = planImports([], active, scope(true), { now: new Date('2026-11-02T00:00:00Z'), refreshDays: 7 });
    expect(plan.counts).toMatchObject({ resolved: 1, archived: 1, outOfScope: 1 });
  });
  it('archives a Timestream DB only from a coverage that listed Timestream completely', () => {
    const cov = {
      accountId: A,
      region: 'eu-west-1',
      instanceIds: ['i-mine'],
      knownInstanceIds: ['i-mine'],
      goneInstanceIds: [],
      assessed: new Set<string>(),
      complete: true,
    };
    expect(publishScope(cov).isGone('abcde12345')).toBe(false); // a unit that did not list Timestream
    expect(publishScope({ ...cov, timestreamFailed: 'timestream-influxdb:ListDbInstances failed: Throttling' }).isGone('abcde12345')).toBe(
      false,
    );
    expect(publishScope({ ...cov, timestreamListed: true }).isGone('abcde12345')).toBe(true);
    expect(publishScope({ ...cov, instanceIds: ['i-mine', 'abcde12345'], timestreamListed: true }).isGone('abcde12345')).toBe(false);
  });
  it('archives nothing when the unit covers a named subset', () => {
    const plan = planImports([], active, scope(false), { now: new Date('2026-11-02T00:00:00Z'), refreshDays: 7 });
    expect(plan.counts).toMatchObject({ resolved: 1, archived: 0, outOfScope: 2 });
  });
});

describe('a scan of named instances', () => {
  it('never widens to the whole region when dispatch could not list the region: the unit carries the named ids', () => {
    const units = planUnits('s', [{ accountId: '111122223333', region: 'eu-west-1' }], 100, {
      publish: true,
      regionComplete: false,
      named: ['i-0000000000000000a'],
    });
    expect(units.map((u) => [u.instanceIds, u.regionComplete])).toEqual([[['i-0000000000000000a'], false]]);
  });
});
