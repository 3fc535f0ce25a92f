import { describe, expect, it } from '@jest/globals';
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { CHECKS } from '../../lib/checks/index.js';
import { assessmentKey, type Finding } from '../../lib/model.js';
import { HeldFinding, LIMITS, SCHEMA_VERSION, findingId, idHash, toAsff } from '../../lib/findings/asff.js';
import { parseFindingId, planImports, type PublishScope } from '../../lib/publish/lifecycle.js';
import { batches } from '../../lib/publish/securityhub.js';

const A = '111122223333';
const R = 'eu-west-1';
const finding = (over: Partial<Finding> = {}): Finding => ({
  checkId: 'net.http-port-public',
  status: 'FAILED',
  severity: 'HIGH',
  title: 'InfluxDB HTTP API port 8086 is open to the internet',
  accountId: A,
  region: R,
  instanceId: 'i-1',
  resource: { type: 'AwsEc2SecurityGroup', id: 'sg-1' },
  evidence: { summary: 'TCP 8086 open to 0.0.0.0/0' },
  remediation: { text: 'close it', url: 'https://docs.influxdata.com/x' },
  ...over,
});
/** Every check evaluated on complete evidence for these instances. */
const pairs = (instances: string[], checks = CHECKS.map((c) => c.id)) =>
  new Set(instances.flatMap((i) => checks.map((c) => assessmentKey(i, c))));
const present = ['i-1', 'i-2'];
const scope = (over: Partial<PublishScope> = {}): PublishScope => ({
  accountId: A,
  region: R,
  assessed: pairs(present),
  isGone: (id) => !present.includes(id),
  ...over,
});
const T0 = new Date('2026-11-01T00:00:00Z');
const T1 = new Date('2026-11-02T00:00:00Z');
const asActive = (fs: Finding[], at = T0): Map<string, AwsSecurityFinding> =>
  new Map(fs.map((f) => [findingId(f), toAsff(f, { now: at.toISOString() })]));

describe('ASFF mapping', () => {
  it('produces every required field within limits, for every check in the catalogue (schema test)', () => {
    for (const c of CHECKS) {
      for (const status of ['FAILED', 'PASSED', 'NOT_AVAILABLE', 'WARNING'] as const) {
        const f = finding({
          checkId: c.id,
          status,
          title: c.title,
          remediation: c.remediation,
          evidence: { summary: 'x'.repeat(5000), reason: 'y'.repeat(3000) },
          endpoint: 'https://10.0.0.5:8086',
        });
        const a = toAsff(f, { now: T1.toISOString(), firstSeen: T0.toISOString() });
        for (const k of [
          'SchemaVersion',
          'Id',
          'ProductArn',
          'GeneratorId',
          'AwsAccountId',
          'Types',
          'CreatedAt',
          'UpdatedAt',
          'Severity',
          'Title',
          'Description',
          'Resources',
        ] as const)
          expect(a[k]).toBeDefined();
        expect(a.SchemaVersion).toBe(SCHEMA_VERSION);
        expect(a.ProductArn).toBe(`arn:aws:securityhub:${R}:${A}:product/${A}/default`);
        expect(a.Id!.length).toBeLessThanOrEqual(512);
        expect(a.Title!.length).toBeLessThanOrEqual(LIMITS.title);
        expect(a.Description!.length).toBeLessThanOrEqual(LIMITS.description);
        expect(a.Remediation!.Recommendation!.Text!.length).toBeLessThanOrEqual(LIMITS.recommendationText);
        // ASFF namespaces the checks use (secrets.user-data: Sensitive Data Identifications/Passwords).
        expect(a.Types!.every((t) => /^(Software and Configuration Checks|Effects|Sensitive Data Identifications)\//.test(t))).toBe(true);
        expect(a.FindingProviderFields).toMatchObject({ Severity: { Label: f.severity }, Types: a.Types });
        expect(Buffer.byteLength(JSON.stringify(a))).toBeLessThan(LIMITS.findingBytes);
        expect(a.Workflow).toBeUndefined();
        expect(a.Note).toBeUndefined();
        expect(a.CreatedAt).toBe(T0.toISOString());
        expect(a.Compliance!.Status).toBe(status);
      }
    }
  });
  it('has a stable, documented Id and the instance as a second resource', () => {
    const a = toAsff(finding(), { now: T1.toISOString() });
    expect(a.Id).toBe(`influxguard/${A}/${R}/net.http-port-public/i-1/sg-1`);
    expect(parseFindingId(a.Id!)).toEqual({
      accountId: A,
      region: R,
      checkId: 'net.http-port-public',
      instanceId: 'i-1',
      resourceId: 'sg-1',
    });
    expect(a.Resources!.map((r) => r.Id)).toEqual([`arn:aws:ec2:${R}:${A}:security-group/sg-1`, `arn:aws:ec2:${R}:${A}:instance/i-1`]);
    expect(toAsff(finding({ checkId: 'auth.jwt-empty-secret' }), { now: T1.toISOString() }).Types).toEqual([
      'Software and Configuration Checks/Vulnerabilities/CVE',
    ]);
  });
  it('batches by 100 findings and by size', () => {
    const many = Array.from({ length: 250 }, (_, i) =>
      toAsff(finding({ resource: { type: 'AwsEc2SecurityGroup', id: `sg-${i}` } }), { now: T1.toISOString() }),
    );
    expect([...batches(many)].map((b) => b.length)).toEqual([100, 100, 50]);
  });
});

describe('the lifecycle plan', () => {
  it('imports new findings, skips unchanged ones until the refresh interval, re-imports changes keeping CreatedAt', () => {
    const f = finding();
    const first = planImports([f], new Map(), scope(), { now: T0, refreshDays: 7 });
    expect(first.counts.new).toBe(1);
    expect(first.newFailures).toEqual([idHash(findingId(f))]);
    expect([...planImports([f], asActive([f]), scope(), { now: T1, refreshDays: 7 }).imports()]).toHaveLength(0);
    const later = planImports([f], asActive([f]), scope(), { now: new Date('2026-11-09T00:00:00Z'), refreshDays: 7 });
    expect(later.counts.refreshed).toBe(1);
    const raised = planImports([finding({ severity: 'CRITICAL' })], asActive([f]), scope(), { now: T1, refreshDays: 7 });
    expect(raised.counts.changed).toBe(1);
    expect([...raised.imports()][0]).toMatchObject({
      CreatedAt: T0.toISOString(),
      FirstObservedAt: T0.toISOString(),
      UpdatedAt: T1.toISOString(),
    });
  });
  it('resolves as PASSED what is no longer produced for an instance still there; archives what belonged to a gone instance', () => {
    const onGone = finding({ instanceId: 'i-gone', resource: { type: 'AwsEc2SecurityGroup', id: 'sg-9' } });
    const plan = planImports([], asActive([finding(), onGone]), scope(), { now: T1, refreshDays: 7 });
    expect(plan.counts).toMatchObject({ resolved: 1, archived: 1 });
    const byId = new Map([...plan.imports()].map((a) => [a.Id, a]));
    expect(byId.get(findingId(finding()))).toMatchObject({
      Compliance: { Status: 'PASSED' },
      RecordState: 'ACTIVE',
      CreatedAt: T0.toISOString(),
      UpdatedAt: T1.toISOString(),
    });
    expect(byId.get(findingId(onGone))).toMatchObject({ RecordState: 'ARCHIVED' });
  });
  it('a partial scan touches nothing outside its scope', () => {
    const other = finding({ instanceId: 'i-other', resource: { type: 'AwsEc2SecurityGroup', id: 'sg-3' } });
    const otherCheck = finding({ checkId: 'ebs.volume-unencrypted', resource: { type: 'AwsEc2Volume', id: 'vol-1' } });
    const plan = planImports(
      [],
      asActive([other, otherCheck]),
      scope({ isGone: () => false, assessed: pairs(present, ['net.http-port-public']) }),
      { now: T1, refreshDays: 7 },
    );
    expect([...plan.imports()]).toEqual([]);
    expect(plan.counts.outOfScope).toBe(2);
  });
  it('never resolves a failure because its evidence is unavailable now', () => {
    const plan = planImports([finding({ status: 'NOT_AVAILABLE', severity: 'INFORMATIONAL' })], asActive([finding()]), scope(), {
      now: T1,
      refreshDays: 7,
    });
    expect([...plan.imports()]).toEqual([]);
    expect(plan.counts.keptUnavailable).toBe(1);
  });

  it('a NOT_AVAILABLE filed under the instance never resolves failures filed under groups or volumes (the throttled rescan)', () => {
    const group = finding();
    const volume = finding({ checkId: 'ebs.volume-unencrypted', resource: { type: 'AwsEc2Volume', id: 'vol-1' } });
    const unknown = (checkId: string) =>
      finding({
        checkId,
        status: 'NOT_AVAILABLE',
        severity: 'INFORMATIONAL',
        resource: { type: 'AwsEc2Instance', id: 'i-1' },
        evidence: { summary: 'not evaluated', reason: 'ec2:DescribeSecurityGroups failed: RequestLimitExceeded' },
      });
    const assessed = pairs(
      present,
      CHECKS.map((c) => c.id).filter((c) => c !== 'net.http-port-public' && c !== 'ebs.volume-unencrypted'),
    );
    const plan = planImports(
      [unknown('net.http-port-public'), unknown('ebs.volume-unencrypted')],
      asActive([group, volume]),
      scope({ assessed }),
      { now: T1, refreshDays: 7 },
    );
    expect([...plan.imports()]).toEqual([]);
    expect(plan.counts).toMatchObject({ resolved: 0, archived: 0, keptUnavailable: 2 });
  });
  it('a pair not evaluated at all (endpoint not probed, check not run) keeps its failures', () => {
    const auth = finding({ checkId: 'auth.disabled', resource: { type: 'AwsEc2Instance', id: 'i-1' } });
    const plan = planImports([], asActive([auth]), scope({ assessed: pairs(present, ['net.http-port-public']) }), {
      now: T1,
      refreshDays: 7,
    });
    expect([...plan.imports()]).toEqual([]);
  });
  it('a PASSED on incomplete evidence never overwrites an earlier failure of the same id', () => {
    const auth = finding({ checkId: 'auth.disabled', resource: { type: 'AwsEc2Instance', id: 'i-1' } });
    const plan = planImports([{ ...auth, status: 'PASSED', severity: 'INFORMATIONAL' }], asActive([auth]), scope({ assessed: new Set() }), {
      now: T1,
      refreshDays: 7,
    });
    expect([...plan.imports()]).toEqual([]);
  });
  it('imports a NOT_AVAILABLE only when nothing was known of that instance × check, and archives it once the check is evaluated', () => {
    const unknown = finding({ status: 'NOT_AVAILABLE', severity: 'INFORMATIONAL', resource: { type: 'AwsEc2Instance', id: 'i-1' } });
    const first = planImports([unknown], new Map(), scope({ assessed: new Set() }), { now: T0, refreshDays: 7 });
    expect(first.counts.new).toBe(1);
    const later = planImports([finding()], asActive([unknown]), scope(), { now: T1, refreshDays: 7 });
    expect(later.counts).toMatchObject({ new: 1, archived: 1 });
  });
  it('decides "unchanged" from the finding itself, not from a digest anyone could write (a forged PASSED is overwritten)', () => {
    const f = finding();
    const forged = {
      ...toAsff(f, { now: T0.toISOString() }),
      Compliance: { Status: 'PASSED' as const },
      Severity: { Label: 'INFORMATIONAL' as const },
      FindingProviderFields: { Severity: { Label: 'INFORMATIONAL' as const } },
    };
    const plan = planImports([f], new Map([[findingId(f), forged]]), scope(), { now: T1, refreshDays: 7 });
    expect(plan.counts.changed).toBe(1);
    expect([...plan.imports()][0]).toMatchObject({ Compliance: { Status: 'FAILED' }, Severity: { Label: 'HIGH' } });
  });
  it('reports, never "imports", a finding whose UpdatedAt lies in the future (Security Hub would ignore the update)', () => {
    const f = finding();
    const forged = {
      ...toAsff(f, { now: T0.toISOString() }),
      Compliance: { Status: 'PASSED' as const },
      UpdatedAt: '2099-01-01T00:00:00.000Z',
    };
    const plan = planImports([f], new Map([[findingId(f), forged]]), scope(), { now: T1, refreshDays: 7 });
    expect([...plan.imports()]).toEqual([]);
    expect(plan.tampered).toEqual([findingId(f)]);
  });

  it('decides from a HeldFinding (status, severity, digest, dates) exactly as from the whole ASFF document', () => {
    // What Security Hub may hold for the pair (i-1, net.http-port-public / sg-1), and what this scan may produce.
    const base = toAsff(finding(), { now: T0.toISOString() });
    const held: Record<string, AwsSecurityFinding> = {
      same: base,
      stale: { ...base, UpdatedAt: '2026-10-01T00:00:00.000Z', FirstObservedAt: undefined, CreatedAt: '2026-09-01T00:00:00.000Z' },
      future: { ...base, UpdatedAt: '2099-01-01T00:00:00.000Z' },
      passed: { ...base, Compliance: { Status: 'PASSED' } },
      unavailable: { ...base, Compliance: { Status: 'NOT_AVAILABLE' } },
      critical: { ...base, FindingProviderFields: { Severity: { Label: 'CRITICAL' } } },
      consoleSeverity: { ...base, FindingProviderFields: undefined, Severity: { Label: 'LOW' } },
      retitled: { ...base, Title: 'another title' },
      otherResource: { ...base, Resources: [{ Type: 'AwsEc2SecurityGroup', Id: 'sg-other' }] },
      noResource: { ...base, Resources: undefined },
      otherGenerator: { ...base, GeneratorId: 'influxguard/net.other' },
      archived: { ...base, RecordState: 'ARCHIVED' },
    };
    const now: Finding[] = [
      finding(),
      finding({ severity: 'CRITICAL' }),
      finding({ severity: 'LOW' }),
      finding({ status: 'PASSED', severity: 'INFORMATIONAL' }),
      finding({ status: 'NOT_AVAILABLE', severity: 'INFORMATIONAL' }),
      finding({ title: 'another title' }),
    ];
    const asHeld = (m: Map<string, AwsSecurityFinding>) => new Map([...m].map(([id, a]) => [id, HeldFinding.of(a, new Map())]));
    const outcome = (p: ReturnType<typeof planImports>) => ({ ...p, imports: [...p.imports()] });
    for (const [name, prev] of Object.entries(held))
      for (const f of now)
        for (const assessed of [pairs(present), new Set<string>()])
          for (const at of [T1, new Date('2026-11-20T00:00:00Z')]) {
            const whole = new Map([[findingId(f), prev]]);
            const opts = { now: at, refreshDays: 7 };
            expect([name, outcome(planImports([f], asHeld(whole), scope({ assessed }), opts))]).toEqual([
              name,
              outcome(planImports([f], whole, scope({ assessed }), opts)),
            ]);
          }
  });
  it('leaves as it was an earlier finding held compactly that this scan did not produce after all (never resolved blind)', () => {
    const f = finding();
    const held = new Map([[findingId(f), HeldFinding.of(toAsff(f, { now: T0.toISOString() }))]]);
    const plan = planImports([], held, scope(), { now: T1, refreshDays: 7 });
    expect(plan.counts).toMatchObject({ resolved: 0, archived: 0, outOfScope: 1 });
    expect([...plan.imports()]).toEqual([]);
  });
  it('keeps equal strings (dates, labels) once for all the findings of a read', () => {
    const strings = new Map<string, string>();
    const [a, b] = [finding(), finding({ resource: { type: 'AwsEc2SecurityGroup', id: 'sg-2' } })].map((f) =>
      HeldFinding.of(JSON.parse(JSON.stringify(toAsff(f, { now: T0.toISOString() }))) as AwsSecurityFinding, strings),
    );
    expect(a!.updatedAt).toBe(T0.toISOString());
    expect(Object.is(a!.updatedAt, b!.updatedAt) && Object.is(a!.firstSeen, b!.firstSeen)).toBe(true);
    expect(a!.digest).not.toBe(b!.digest); // another security group
    expect([...strings.keys()].sort()).toEqual(['FAILED', 'HIGH', T0.toISOString()].sort());
  });

  describe('a load-balancer path: a finding on the load balancer, for the instance', () => {
    const ALB = `arn:aws:elasticloadbalancing:${R}:${A}:loadbalancer/app/influx/0123456789abcdef`;
    const viaAlb = finding({ severity: 'CRITICAL', resource: { type: 'AwsElbv2LoadBalancer', id: ALB } });
    const viaClb = finding({ severity: 'CRITICAL', resource: { type: 'AwsElbLoadBalancer', id: 'influx-clb' } });
    it('names the load balancer (ARN) and the instance in ASFF, and round-trips its Id', () => {
      const a = toAsff(viaAlb, { now: T0.toISOString() });
      expect(a.Resources).toEqual([
        expect.objectContaining({ Type: 'AwsElbv2LoadBalancer', Id: ALB }),
        expect.objectContaining({ Type: 'AwsEc2Instance', Id: `arn:aws:ec2:${R}:${A}:instance/i-1` }),
      ]);
      expect(toAsff(viaClb, { now: T0.toISOString() }).Resources![0]).toMatchObject({
        Type: 'AwsElbLoadBalancer',
        Id: `arn:aws:elasticloadbalancing:${R}:${A}:loadbalancer/influx-clb`,
      });
      expect(parseFindingId(findingId(viaAlb))).toMatchObject({ instanceId: 'i-1', checkId: 'net.http-port-public', resourceId: ALB });
      expect(planImports([viaAlb], asActive([viaAlb]), scope(), { now: T1, refreshDays: 7 }).counts.unchanged).toBe(1);
    });
    it('is resolved when the path is gone on complete evidence, kept when the load balancers could not be read, archived with its instance', () => {
      expect(planImports([], asActive([viaAlb]), scope(), { now: T1, refreshDays: 7 }).counts).toMatchObject({ resolved: 1 });
      const unread = finding({ status: 'NOT_AVAILABLE', severity: 'INFORMATIONAL', resource: { type: 'AwsEc2Instance', id: 'i-1' } });
      const kept = planImports([unread], asActive([viaAlb]), scope({ assessed: new Set() }), { now: T1, refreshDays: 7 });
      expect([...kept.imports()]).toEqual([]);
      const gone = planImports([], asActive([viaAlb]), scope({ isGone: () => true }), { now: T1, refreshDays: 7 });
      expect(gone.counts).toMatchObject({ archived: 1, resolved: 0 });
    });
  });
});
