/**
 * Reachability hop by hop against moto (route tables, network ACLs, elbv2,
 * elb): an estate with every path shape and every way a path breaks, scanned
 * for real; then the same estate with one read denied through the fault proxy.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../lib/config.js';
import type { Finding, ScanDocument } from '../../lib/model.js';
import { scan } from '../../lib/scan.js';
import { seedEstate, type SeededEstate } from '../../scripts/estate.js';
import { startFaultProxy, type FaultProxy } from '../../scripts/fault-proxy.js';
import { endpoint, testAccount, type TestAccount } from '../support/aws.js';

const R = 'eu-north-1';
let account: TestAccount;
let estate: SeededEstate;
let proxy: FaultProxy;
let doc: ScanDocument;
let calls: Record<string, number>;

const config = () =>
  parseConfig({
    regions: [R],
    probe: { enabled: false, allowedCidrs: ['127.0.0.0/8'] },
    aws: { maxAttempts: 2, connectTimeoutMs: 1000, requestTimeoutMs: 5000 },
  });

/** A scan whose clients all go through the fault proxy, with this operation denied (or nothing). */
async function scanDenying(operation?: string): Promise<{ doc: ScanDocument; coverage: Set<string> }> {
  proxy.setPlan({ rates: operation ? { [operation]: 1 } : {}, faults: ['deny'] });
  const saved = process.env.AWS_ENDPOINT_URL;
  process.env.AWS_ENDPOINT_URL = proxy.endpoint;
  try {
    const cfg = config();
    const { clients } = account.clients(cfg);
    const result = await scan(cfg, { clients, homeRegion: R });
    clients.destroy();
    return { doc: result.document, coverage: result.coverage[0]!.assessed };
  } finally {
    process.env.AWS_ENDPOINT_URL = saved;
  }
}

beforeAll(async () => {
  account = await testAccount();
  const influx = { influxdb: '' };
  estate = await seedEstate(account.seeder(R), {
    region: R,
    subnets: [
      { name: 'public' },
      { name: 'private', route: 'none' },
      {
        name: 'acl-deny',
        acl: [
          { rule: 100, action: 'allow', protocol: '-1' },
          { rule: 90, action: 'deny', ports: 8086 },
          { rule: 100, egress: true, action: 'allow', protocol: '-1' },
        ],
      },
      // Issue 31: the ACL denies one abusive /16 and allows the rest: the rest of the internet is still the world.
      {
        name: 'acl-deny-16',
        acl: [
          { rule: 90, action: 'deny', protocol: '-1', cidr: '198.51.0.0/16' },
          { rule: 100, action: 'allow', protocol: '-1' },
          { rule: 100, egress: true, action: 'allow', protocol: '-1' },
        ],
      },
      // Issue 31: only one partner /24 gets in (rule 50): some public sources pass, not the world; the evidence names them.
      {
        name: 'acl-partner',
        acl: [
          { rule: 50, action: 'allow', ports: 8086, cidr: '52.94.76.0/24' },
          { rule: 100, egress: true, action: 'allow', protocol: '-1' },
        ],
      },
      // Issue 31: the default route split into two /1 halves to the internet gateway is complete.
      { name: 'split-route', route: 'split' },
      // Issue 31: a second subnet without a route to the internet gateway (an internet-facing ALB there is no way in).
      { name: 'private-b', route: 'none' },
      // Issue 31: 8086 admitted only from the VPC (preserved client addresses do not pass).
      {
        name: 'vpc-only-8086',
        acl: [
          { rule: 100, action: 'allow', ports: 8086, cidr: '10.0.0.0/8' },
          { rule: 100, egress: true, action: 'allow', protocol: '-1' },
        ],
      },
      // The default route as one route to a customer-managed prefix list (0.0.0.0/1 + 128.0.0.0/1) to the gateway.
      { name: 'pl-route', route: 'prefix-list' },
      // Only the AWS-managed S3 list (com.amazonaws.eu-north-1.s3) to the gateway: AWS's addresses, not the world.
      { name: 'pl-aws-route', route: 'aws-prefix-list' },
    ],
    groups: [
      { name: 'world-8086', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] },
      { name: 'v6-8086', rules: [{ ports: 8086, ipv6: ['::/0'] }] },
      { name: 'halves', rules: [{ ports: 8086, cidrs: ['0.0.0.0/1', '128.0.0.0/1'] }] },
      { name: 'half', rules: [{ ports: 8086, cidrs: ['0.0.0.0/1'] }] },
      { name: 'alb', rules: [{ ports: 443, cidrs: ['0.0.0.0/0'] }] },
      { name: 'alb-closed', rules: [{ ports: 443, cidrs: ['10.0.0.0/8'] }] },
      { name: 'clb', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] },
      { name: 'from-alb', rules: [{ ports: [8080, 8086], groups: ['alb'] }] },
      { name: 'from-alb-closed', rules: [{ ports: 8086, groups: ['alb-closed'] }] },
      { name: 'from-clb', rules: [{ ports: 8086, groups: ['clb'] }] },
      { name: 'from-vpc', rules: [{ ports: 8086, cidrs: ['10.0.0.0/16'] }] },
      { name: 'nlb-sg', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] },
      { name: 'from-nlb-sg', rules: [{ ports: 8086, groups: ['nlb-sg'] }] },
      { name: 'alb-two', rules: [{ ports: [443, 8443], cidrs: ['0.0.0.0/0'] }] },
      { name: 'from-alb-two', rules: [{ ports: 8086, groups: ['alb-two'] }] },
    ],
    instances: [
      { name: 'direct', tags: influx, groups: ['world-8086'], publicIp: true },
      { name: 'halves', tags: influx, groups: ['halves'], publicIp: true },
      { name: 'no-igw', tags: influx, groups: ['world-8086'], publicIp: true, subnet: 'private' },
      { name: 'acl-deny', tags: influx, groups: ['world-8086'], publicIp: true, subnet: 'acl-deny' },
      { name: 'acl-deny-16', tags: influx, groups: ['world-8086'], publicIp: true, subnet: 'acl-deny-16' },
      { name: 'acl-partner', tags: influx, groups: ['world-8086'], publicIp: true, subnet: 'acl-partner' },
      { name: 'split-route', tags: influx, groups: ['world-8086'], publicIp: true, subnet: 'split-route' },
      { name: 'half', tags: influx, groups: ['half'], publicIp: true },
      { name: 'v6-only', tags: influx, groups: ['v6-8086'], publicIp: true },
      { name: 'behind-alb', tags: influx, groups: ['from-alb'] },
      { name: 'behind-alb-rule', tags: influx, groups: ['from-alb'] },
      { name: 'behind-nlb', tags: influx, groups: ['from-vpc'] },
      { name: 'behind-clb', tags: influx, groups: ['from-clb'] },
      { name: 'internal-lb', tags: influx, groups: ['from-alb'] },
      { name: 'internal-https', tags: influx, groups: ['from-alb'] },
      { name: 'internal-nlb', tags: influx, groups: ['from-vpc'] },
      { name: 'internal-clb', tags: influx, groups: ['from-clb'] },
      { name: 'other-port', tags: influx, groups: ['from-alb'] },
      { name: 'lb-closed', tags: influx, groups: ['from-alb-closed'] },
      { name: 'untouched', tags: influx, groups: [] },
      { name: 'nlb-instance-vpc', tags: influx, groups: ['from-vpc'] },
      { name: 'nlb-instance-world', tags: influx, groups: ['world-8086'] },
      { name: 'nlb-ip-preserved', tags: influx, groups: ['from-vpc'] },
      { name: 'nlb-instance-off', tags: influx, groups: ['from-vpc'] },
      { name: 'nlb-group-ref', tags: influx, groups: ['from-nlb-sg'] },
      { name: 'behind-dark-alb', tags: influx, groups: ['from-alb'] },
      { name: 'behind-rule-src', tags: influx, groups: ['from-alb'] },
      { name: 'nlb-preserved-acl', tags: influx, groups: ['world-8086'], subnet: 'vpc-only-8086' },
      { name: 'pl-route', tags: influx, groups: ['world-8086'], publicIp: true, subnet: 'pl-route' },
      { name: 'pl-aws-route', tags: influx, groups: ['world-8086'], publicIp: true, subnet: 'pl-aws-route' },
      { name: 'behind-weight-1', tags: influx, groups: ['from-alb'] },
      { name: 'behind-weight-0', tags: influx, groups: ['from-alb'] },
      { name: 'behind-shadowed', tags: influx, groups: ['from-alb'] },
      { name: 'behind-shadowed-2', tags: influx, groups: ['from-alb'] },
      { name: 'behind-catch-all', tags: influx, groups: ['from-alb'] },
      { name: 'behind-methods', tags: influx, groups: ['from-alb'] },
      { name: 'behind-dark-clb', tags: influx, groups: ['from-clb'] },
      { name: 'behind-two', tags: influx, groups: ['from-alb-two'] },
    ],
    loadBalancers: [
      {
        name: 'alb',
        kind: 'application',
        groups: ['alb'],
        listeners: [{ port: 443, targetPort: 8086, targets: ['behind-alb'], ruleTargets: ['behind-alb-rule'] }],
      },
      { name: 'nlb', kind: 'network', listeners: [{ port: 8086, targetPort: 8086, targets: ['behind-nlb'], targetType: 'ip' }] },
      { name: 'clb', kind: 'classic', groups: ['clb'], listeners: [{ port: 8086, targetPort: 8086, targets: ['behind-clb'] }] },
      {
        name: 'internal',
        kind: 'application',
        scheme: 'internal',
        groups: ['alb'],
        listeners: [{ port: 443, targetPort: 8086, targets: ['internal-lb'] }],
      },
      // Issue 31: internal load balancers are read for tls.load-balancer-plaintext only (never a path): HTTPS passes,
      // an NLB's TCP listener is tls.disabled's to judge (its listeners are never read).
      {
        name: 'internal-https',
        kind: 'application',
        scheme: 'internal',
        groups: ['alb'],
        listeners: [{ port: 443, targetPort: 8086, targets: ['internal-https'], protocol: 'HTTPS' }],
      },
      {
        name: 'internal-clb',
        kind: 'classic',
        scheme: 'internal',
        groups: ['clb'],
        listeners: [{ port: 80, targetPort: 8086, targets: ['internal-clb'], protocol: 'HTTP' }],
      },
      {
        name: 'internal-nlb',
        kind: 'network',
        scheme: 'internal',
        listeners: [{ port: 8086, targetPort: 8086, targets: ['internal-nlb'] }],
      },
      { name: 'alb-8080', kind: 'application', groups: ['alb'], listeners: [{ port: 443, targetPort: 8080, targets: ['other-port'] }] },
      {
        name: 'alb-closed',
        kind: 'application',
        groups: ['alb-closed'],
        listeners: [{ port: 443, targetPort: 8086, targets: ['lb-closed'] }],
      },
      // No target group: nothing to forward to, its listeners are never read.
      { name: 'alb-empty', kind: 'application', groups: ['alb'], listeners: [] },
      // NLBs keep the client's address where client IP preservation is on (instance targets by default): only a rule
      // covering the internet, or one referencing the NLB's group, admits internet clients; the VPC CIDR admits health checks.
      {
        name: 'nlb-instance',
        kind: 'network',
        listeners: [{ port: 8086, targetPort: 8086, targets: ['nlb-instance-vpc', 'nlb-instance-world'] }],
      },
      {
        name: 'nlb-ip-on',
        kind: 'network',
        listeners: [{ port: 8086, targetPort: 8086, targets: ['nlb-ip-preserved'], targetType: 'ip', preserveClientIp: true }],
      },
      {
        name: 'nlb-instance-off',
        kind: 'network',
        listeners: [{ port: 8086, targetPort: 8086, targets: ['nlb-instance-off'], preserveClientIp: false }],
      },
      {
        name: 'nlb-grouped',
        kind: 'network',
        groups: ['nlb-sg'],
        listeners: [{ port: 8086, targetPort: 8086, targets: ['nlb-group-ref'] }],
      },
      // Issue 31: internet-facing by scheme, but in subnets without a route to an internet gateway: not a way in.
      {
        name: 'alb-dark',
        kind: 'application',
        groups: ['alb'],
        subnets: ['private', 'private-b'],
        listeners: [{ port: 443, targetPort: 8086, targets: ['behind-dark-alb'] }],
      },
      // Issue 31: a listener rule forwarding only from one partner /24 (source-ip): the sources are narrowed, not the world.
      {
        name: 'alb-src',
        kind: 'application',
        groups: ['alb'],
        listeners: [{ port: 443, targetPort: 8086, targets: [], ruleTargets: ['behind-rule-src'], ruleSourceIps: ['52.94.76.0/24'] }],
      },
      // Issue 31: an NLB preserving client addresses in front of an instance whose subnet ACL admits 8086 only from the VPC.
      { name: 'nlb-acl', kind: 'network', listeners: [{ port: 8086, targetPort: 8086, targets: ['nlb-preserved-acl'] }] },
      // A Classic LB's own path too: internet-facing by scheme, in a subnet without a route to an internet gateway.
      {
        name: 'clb-dark',
        kind: 'classic',
        groups: ['clb'],
        subnets: ['private'],
        listeners: [{ port: 8086, targetPort: 8086, targets: ['behind-dark-clb'] }],
      },
      // The default action forwards to two groups, one weighing 0: that one gets no request.
      {
        name: 'alb-weighted',
        kind: 'application',
        groups: ['alb'],
        listeners: [{ port: 443, targetPort: 8086, targets: ['behind-weight-1'], zeroWeightTargets: ['behind-weight-0'] }],
      },
      // A rule at priority 1 answers every path (path-pattern *) with a 403: the default action is never used.
      {
        name: 'alb-403',
        kind: 'application',
        groups: ['alb'],
        listeners: [{ port: 443, targetPort: 8086, targets: ['behind-shadowed'], fixedResponseRule: 'path' }],
      },
      // A rule at priority 1 forwards every path (/*) to another group: that one is the path, the default's is not.
      {
        name: 'alb-catch-all',
        kind: 'application',
        groups: ['alb'],
        listeners: [
          { port: 443, targetPort: 8086, targets: ['behind-shadowed-2'], ruleTargets: ['behind-catch-all'], ruleMatchesAll: true },
        ],
      },
      // Listener 443's default action is shadowed (403 to every path), but listener 8443's rule forwards to the same group.
      {
        name: 'alb-two',
        kind: 'application',
        groups: ['alb-two'],
        listeners: [{ port: 443, targetPort: 8086, targets: ['behind-two'], fixedResponseRule: 'path', alsoByRuleOn: 8443 }],
      },
      // A rule on every common method answering 403 does not provably match every request (a method of the client's
      // choosing reaches the default action): no shadowing.
      {
        name: 'alb-methods',
        kind: 'application',
        groups: ['alb'],
        listeners: [{ port: 443, targetPort: 8086, targets: ['behind-methods'], fixedResponseRule: 'methods' }],
      },
    ],
  });
  proxy = await startFaultProxy(endpoint(), { rates: {} });
  const cfg = config();
  const { clients, counter } = account.clients(cfg);
  doc = (await scan(cfg, { clients, homeRegion: R })).document;
  calls = counter.callsByOperation();
  clients.destroy();
}, 120_000);

afterAll(async () => {
  await proxy.stop();
});

const id = (name: string) => estate.instances[name]![0]!;
const http = (d: ScanDocument, name: string) => d.findings.filter((f) => f.checkId === 'net.http-port-public' && f.instanceId === id(name));
const brief = (f: Finding) => `${f.status} ${f.severity} ${f.resource.type}`;

describe('direct paths (moto)', () => {
  it('public IPv4 + IGW route + default ACL + 0.0.0.0/0: CRITICAL, with igw, route table, ACL rule, group and address in the evidence', () => {
    const [f] = http(doc, 'direct');
    expect(brief(f!)).toBe('FAILED CRITICAL AwsEc2SecurityGroup');
    const text = JSON.stringify(f!.evidence.paths);
    expect(text).toContain(estate.internetGatewayId);
    expect(text).toMatch(/rtb-[0-9a-f]+/);
    expect(text).toMatch(/acl-[0-9a-f]+/);
    expect(text).toContain('inbound rule 100 allows TCP 8086');
    expect(text).toContain(estate.groups['world-8086']);
  });
  it('0.0.0.0/1 + 128.0.0.0/1: CRITICAL', () => expect(brief(http(doc, 'halves')[0]!)).toBe('FAILED CRITICAL AwsEc2SecurityGroup'));
  // Issue 31, fails on the old code (latent HIGH: the ACL had to admit the whole internet).
  it('an ACL denying one /16 before allowing the rest: the rest is the world, CRITICAL', () => {
    const [f] = http(doc, 'acl-deny-16');
    expect(brief(f!)).toBe('FAILED CRITICAL AwsEc2SecurityGroup');
    expect(JSON.stringify(f!.evidence.paths)).toContain('inbound rule 90 denies part');
  });
  // Issue 31, fails on the old code ("no default route": only 0.0.0.0/0 was read).
  it('a default route split into 0.0.0.0/1 + 128.0.0.0/1 to the internet gateway: complete, CRITICAL', () => {
    const [f] = http(doc, 'split-route');
    expect(brief(f!)).toBe('FAILED CRITICAL AwsEc2SecurityGroup');
    expect(JSON.stringify(f!.evidence.paths)).toContain(
      `0.0.0.0/1 → ${estate.internetGatewayId}, 128.0.0.0/1 → ${estate.internetGatewayId}`,
    );
  });
  // Fails on the old code (latent HIGH, "no default route": a route to a prefix list was not read).
  it('the default route as a route to a prefix list (0.0.0.0/1 + 128.0.0.0/1) to the internet gateway: complete, CRITICAL, the list named', () => {
    const [f] = http(doc, 'pl-route');
    expect(brief(f!)).toBe('FAILED CRITICAL AwsEc2SecurityGroup');
    expect(JSON.stringify(f!.evidence.paths)).toMatch(
      new RegExp(`prefix list pl-[0-9a-f]+ \\(0\\.0\\.0\\.0/1, 128\\.0\\.0\\.0/1\\) → ${estate.internetGatewayId}`),
    );
  });
  // Fails on the old code (its evidence said "no default route"): an AWS-managed list's entries are read the same way.
  it('only the AWS-managed S3 prefix list routed to the internet gateway: latent HIGH, the sources that pass are AWS’s, named', () => {
    const [f] = http(doc, 'pl-aws-route');
    expect(brief(f!)).toBe('FAILED HIGH AwsEc2SecurityGroup');
    expect(f!.evidence.summary).toMatch(/only .* passes route table rtb-[0-9a-f]+ \(prefix list pl-[0-9a-f]+ \(.*\) → igw-/);
    expect(JSON.stringify(f!.evidence.paths)).toContain('52.216.0.0/15');
  });
  // Issue 31: 0.0.0.0/1 alone is the world (about 56 % of public IPv4): world-open, and with a complete path CRITICAL.
  it('a group open to 0.0.0.0/1 only: FAILED, CRITICAL with a complete path', () => {
    expect(brief(http(doc, 'half')[0]!)).toBe('FAILED CRITICAL AwsEc2SecurityGroup');
  });
  it('an ACL admitting one partner /24 (rule 50): latent HIGH, the evidence names the sources that pass and the rule', () => {
    const [f] = http(doc, 'acl-partner');
    expect(brief(f!)).toBe('FAILED HIGH AwsEc2SecurityGroup');
    expect(f!.evidence.summary).toMatch(/only 52\.94\.76\.0\/24 passes network ACL acl-[0-9a-f]+ rule 50/);
    expect(JSON.stringify(f!.evidence.paths)).toContain('"sources":["52.94.76.0/24"]');
  });
  it('broken, no IGW route: latent HIGH', () => {
    const [f] = http(doc, 'no-igw');
    expect(brief(f!)).toBe('FAILED HIGH AwsEc2SecurityGroup');
    expect(f!.evidence.summary).toMatch(/latent.*no default route/);
  });
  it('broken, ACL deny (rule 90) before allow (rule 100): latent HIGH', () => {
    const [f] = http(doc, 'acl-deny');
    expect(brief(f!)).toBe('FAILED HIGH AwsEc2SecurityGroup');
    expect(f!.evidence.summary).toContain('rule 90 denies TCP 8086');
  });
  it('broken, an IPv6-only rule with an IPv4-only address: latent HIGH', () => {
    const [f] = http(doc, 'v6-only');
    expect(brief(f!)).toBe('FAILED HIGH AwsEc2SecurityGroup');
    expect(f!.evidence.internetReachable).toBe(false);
  });
});

describe('load-balancer paths (moto)', () => {
  it('internet-facing ALB → listener 443 → target group → instance 8086, admitted by the ALB group: CRITICAL on the ALB', () => {
    const fs = http(doc, 'behind-alb');
    expect(fs.map(brief)).toEqual(['FAILED CRITICAL AwsElbv2LoadBalancer']);
    expect(fs[0]!.resource.id).toBe(estate.loadBalancers.alb);
    const hops = JSON.stringify(fs[0]!.evidence.paths);
    expect(hops).toContain('listener');
    expect(hops).toContain('targetgroup/alb-0');
  });
  it('ALB target group attached through a listener rule (path condition): the rule is read and still forwards, named in the evidence', () => {
    const fs = http(doc, 'behind-alb-rule');
    expect(fs.map((f) => `${brief(f)} ${f.resource.id}`)).toEqual([`FAILED CRITICAL AwsElbv2LoadBalancer ${estate.loadBalancers.alb}`]);
    const hops = JSON.stringify(fs[0]!.evidence.paths);
    expect(hops).toContain('targetgroup/alb-0-rule');
    expect(hops).toContain('rule priority 10 forwards to the target group');
    // The default action's target group is not marked.
    expect(JSON.stringify(http(doc, 'behind-alb')[0]!.evidence.paths)).not.toContain('rule priority');
  });
  // Issue 31: a rule's source-ip condition narrows the sources; one partner /24 is not the world.
  it('ALB listener rule with a source-ip condition (one /24): no finding on the ALB', () => {
    expect(http(doc, 'behind-rule-src').map((f) => f.status)).toEqual(['PASSED']);
  });
  // Issue 31, fails on the old code (CRITICAL on the ALB): the load balancer's own subnets were not judged.
  it('internet-facing ALB in subnets without a route to an internet gateway: not a way in', () => {
    expect(http(doc, 'behind-dark-alb').map((f) => f.status)).toEqual(['PASSED']);
  });
  // Issue 31, fails on the old code (CRITICAL on the NLB): with client addresses preserved, the public sources
  // themselves must pass the instance's subnet ACL, which admits 8086 only from 10.0.0.0/8.
  it('NLB preserving client addresses, instance ACL admitting only the VPC: no NLB finding (the world-open group stays latent)', () => {
    expect(http(doc, 'nlb-preserved-acl').map(brief)).toEqual(['FAILED HIGH AwsEc2SecurityGroup']);
  });
  // Fails on the old code (CRITICAL on the ALB: every group of a forward was a path, whatever its weight).
  it('a weighted forward: the group weighing 0 gets no request, the other is the path', () => {
    expect(http(doc, 'behind-weight-0').map((f) => f.status)).toEqual(['PASSED']);
    expect(http(doc, 'behind-weight-1').map((f) => `${brief(f)} ${f.resource.id}`)).toEqual([
      `FAILED CRITICAL AwsElbv2LoadBalancer ${estate.loadBalancers['alb-weighted']}`,
    ]);
  });
  // Fails on the old code (CRITICAL on the ALB, and tls.load-balancer-plaintext FAILED): rules did not shadow the default action.
  it('a rule matching every path (path-pattern *) answering 403 before the default action: no path, no plain-HTTP forward', () => {
    expect(http(doc, 'behind-shadowed').map((f) => f.status)).toEqual(['PASSED']);
    const plain = doc.findings.filter((f) => f.checkId === 'tls.load-balancer-plaintext' && f.instanceId === id('behind-shadowed'));
    expect(plain.map((f) => f.status)).toEqual(['PASSED']);
  });
  // Fails on the old code (both CRITICAL on the ALB).
  it('a rule forwarding every path (/*) at priority 1: its group is the path, named; the default action’s group is not reached', () => {
    expect(http(doc, 'behind-shadowed-2').map((f) => f.status)).toEqual(['PASSED']);
    const fs = http(doc, 'behind-catch-all');
    expect(fs.map((f) => `${brief(f)} ${f.resource.id}`)).toEqual([
      `FAILED CRITICAL AwsElbv2LoadBalancer ${estate.loadBalancers['alb-catch-all']}`,
    ]);
    expect(JSON.stringify(fs[0]!.evidence.paths)).toContain('rule priority 1 forwards to the target group');
  });
  // Passes on the old code (which read no rule of a listener naming the group in another listener's default action, nor
  // shadowed any default action); fails without reading the other listener's rules once default actions can be shadowed.
  it('a default action shadowed on one listener, a rule forwarding to the same group on another: the other is the path, CRITICAL', () => {
    const fs = http(doc, 'behind-two');
    expect(fs.map((f) => `${brief(f)} ${f.resource.id}`)).toEqual([
      `FAILED CRITICAL AwsElbv2LoadBalancer ${estate.loadBalancers['alb-two']}`,
    ]);
    expect(JSON.stringify(fs[0]!.evidence.paths)).toContain('listener HTTP 8443; rule priority 10 forwards to the target group');
  });
  it('a rule on every common method answering 403 does not shadow the default action (a method of the client’s choosing): CRITICAL', () => {
    expect(http(doc, 'behind-methods').map((f) => `${brief(f)} ${f.resource.id}`)).toEqual([
      `FAILED CRITICAL AwsElbv2LoadBalancer ${estate.loadBalancers['alb-methods']}`,
    ]);
  });
  it('internet-facing NLB without groups → IP target: CRITICAL on the NLB', () => {
    expect(http(doc, 'behind-nlb').map((f) => `${brief(f)} ${f.resource.id}`)).toEqual([
      `FAILED CRITICAL AwsElbv2LoadBalancer ${estate.loadBalancers.nlb}`,
    ]);
  });
  it('internet-facing Classic LB → backend 8086: CRITICAL on the Classic LB', () => {
    expect(http(doc, 'behind-clb').map((f) => `${brief(f)} ${f.resource.id}`)).toEqual(['FAILED CRITICAL AwsElbLoadBalancer clb']);
  });
  it('internet-facing Classic LB in a subnet without a route to an internet gateway: not a way in (its own path, as for ALB/NLB)', () => {
    expect(http(doc, 'behind-dark-clb').map((f) => f.status)).toEqual(['PASSED']);
  });
  it.each([
    ['an internal load balancer', 'internal-lb'],
    ['a target on another port', 'other-port'],
    ['a load balancer group not admitting its listener port', 'lb-closed'],
    ['no load balancer at all', 'untouched'],
  ])('broken, %s: PASSED', (_, name) => {
    expect(http(doc, name).map((f) => f.status)).toEqual(['PASSED']);
  });
  it('NLB, instance target (client addresses preserved by default): a rule admitting only the VPC CIDR admits health checks, not the internet', () => {
    const fs = http(doc, 'nlb-instance-vpc');
    expect(fs.map((f) => f.status)).toEqual(['PASSED']);
  });
  it('NLB, IP target with preserve_client_ip.enabled=true: the VPC CIDR does not admit internet clients either', () => {
    expect(http(doc, 'nlb-ip-preserved').map((f) => f.status)).toEqual(['PASSED']);
  });
  it('NLB, instance target with preserve_client_ip.enabled=false: the NLB’s subnets are the source, the VPC CIDR admits: CRITICAL', () => {
    const fs = http(doc, 'nlb-instance-off');
    expect(fs.map((f) => `${brief(f)} ${f.resource.id}`)).toEqual([
      `FAILED CRITICAL AwsElbv2LoadBalancer ${estate.loadBalancers['nlb-instance-off']}`,
    ]);
    expect(JSON.stringify(fs[0]!.evidence.paths)).toContain('preserve_client_ip.enabled');
  });
  it('NLB preserving client addresses: a world-open rule admits, with the deciding rule in the evidence: CRITICAL on the NLB', () => {
    const fs = http(doc, 'nlb-instance-world').filter((f) => f.resource.type === 'AwsElbv2LoadBalancer');
    expect(fs.map((f) => `${brief(f)} ${f.resource.id}`)).toEqual([
      `FAILED CRITICAL AwsElbv2LoadBalancer ${estate.loadBalancers['nlb-instance']}`,
    ]);
    expect(JSON.stringify(fs[0]!.evidence.paths)).toContain('NLB preserves client addresses (instance target)');
  });
  it('NLB with security groups preserving client addresses: a rule referencing the NLB’s group admits: CRITICAL', () => {
    expect(http(doc, 'nlb-group-ref').map((f) => `${brief(f)} ${f.resource.id}`)).toEqual([
      `FAILED CRITICAL AwsElbv2LoadBalancer ${estate.loadBalancers['nlb-grouped']}`,
    ]);
  });
  it('reads each part once per region: calls grow with internet-facing load balancers, never with instances', () => {
    expect(calls['ec2:DescribeRouteTables']).toBe(1);
    expect(calls['ec2:DescribeNetworkAcls']).toBe(1);
    expect(calls['elasticloadbalancingv2:DescribeLoadBalancers']).toBe(1);
    expect(calls['elasticloadbalancingv2:DescribeTargetGroups']).toBe(1);
    expect(calls['elasticloadbalancing:DescribeLoadBalancers']).toBe(1);
    // The instances' groups and the internet-facing load balancers' own in one describe (was two).
    expect(calls['ec2:DescribeSecurityGroups']).toBe(1);
    // Listeners of fifteen of the seventeen internet-facing ALB/NLBs: not of alb-closed, whose group admits no TCP port
    // from the internet (no listener of it can be admitted), nor of alb-empty (no target group to forward to); targets
    // only behind admitted listeners (alb-weighted's and alb-catch-all's two groups each). Issue 31: and of the two
    // internal ALBs in the scanned VPC (for tls.load-balancer-plaintext), not of the internal NLB; targets only behind
    // the internal HTTP listener (internal).
    expect(calls['elasticloadbalancingv2:DescribeListeners']).toBe(17);
    expect(calls['elasticloadbalancingv2:DescribeTargetHealth']).toBe(20);
    // Rules of each ALB listener forwarding to a scanned instance, by a rule or by its default action (a rule matching
    // every request may shadow it): alb, alb-8080, alb-dark, alb-src, internal, alb-weighted, alb-403, alb-catch-all,
    // alb-methods, and both of alb-two's (the 8443 listener's rules may forward to the 443 listener's group) (was 2:
    // only listeners with a target group no default action named).
    expect(calls['elasticloadbalancingv2:DescribeRules']).toBe(11);
    // The two prefix lists routes name (none of the groups' here), one read each.
    expect(calls['ec2:GetManagedPrefixListEntries']).toBe(2);
    // Client IP preservation only where it decides: NLB target groups with a target admitting the NLB's subnets but
    // neither the internet nor the NLB's group (nlb, nlb-instance, nlb-ip-on, nlb-instance-off; not nlb-grouped).
    expect(calls['elasticloadbalancingv2:DescribeTargetGroupAttributes']).toBe(4);
  });
});

describe('internal load balancers: tls.load-balancer-plaintext only, never a path (issue 31)', () => {
  const plaintext = (d: ScanDocument, name: string) =>
    d.findings.filter((f) => f.checkId === 'tls.load-balancer-plaintext' && f.instanceId === id(name));
  // Fails on the old code (PASSED: internal load balancers were never read).
  it('internal ALB, HTTP listener forwarding to 8086: FAILED MEDIUM on the load balancer', () => {
    expect(plaintext(doc, 'internal-lb')).toEqual([
      expect.objectContaining({
        status: 'FAILED',
        severity: 'MEDIUM',
        resource: { type: 'AwsElbv2LoadBalancer', id: estate.loadBalancers.internal },
        evidence: expect.objectContaining({ scheme: 'internal', listeners: ['HTTP 443 → 8086'], internetReachable: false }),
      }),
    ]);
  });
  // Fails on the old code (PASSED): the listing has an internal Classic LB's listeners, at no added call.
  it('internal Classic LB, HTTP listener to backend 8086: FAILED MEDIUM on the Classic LB', () => {
    expect(plaintext(doc, 'internal-clb').map((f) => `${brief(f)} ${f.resource.id} ${f.evidence.summary}`)).toEqual([
      'FAILED MEDIUM AwsElbLoadBalancer internal-clb internal load balancer internal-clb forwards plain HTTP to InfluxDB: HTTP 80 → 8086',
    ]);
  });
  it('internal ALB with an HTTPS listener: PASSED; internal NLB TCP: not judged here (PASSED)', () => {
    expect(plaintext(doc, 'internal-https').map((f) => f.status)).toEqual(['PASSED']);
    expect(plaintext(doc, 'internal-nlb').map((f) => f.status)).toEqual(['PASSED']);
  });
  it('the internet-facing HTTP listener stays HIGH', () => {
    expect(plaintext(doc, 'behind-alb').map((f) => `${brief(f)} ${f.resource.id}`)).toEqual([
      `FAILED HIGH AwsElbv2LoadBalancer ${estate.loadBalancers.alb}`,
    ]);
  });
  it('no internal load balancer appears in any net.* finding', () => {
    const internal = ['internal', 'internal-https', 'internal-nlb', 'internal-clb'].map((n) => estate.loadBalancers[n]!);
    const net = doc.findings.filter((f) => f.checkId.startsWith('net.'));
    expect(net.length).toBeGreaterThan(0);
    const leaks = net.filter((f) => internal.some((arn) => JSON.stringify(f).includes(arn))).map((f) => `${f.checkId} ${f.instanceId}`);
    expect(leaks).toEqual([]);
    for (const name of ['internal-lb', 'internal-https', 'internal-nlb', 'internal-clb'])
      expect(http(doc, name).map((f) => f.status)).toEqual(['PASSED']);
  });
});

describe('missing evidence through the fault proxy (never a pass)', () => {
  // Fails on the old code (PASSED, incomplete): a load balancer whose listeners could not be read may forward plain HTTP.
  it('elasticloadbalancing:DescribeListeners denied: tls.load-balancer-plaintext NOT_AVAILABLE with the reason, internal ones named', async () => {
    const { doc: d } = await scanDenying('elasticloadbalancing:DescribeListeners');
    for (const name of ['internal-lb', 'internal-https', 'behind-alb']) {
      const fs = d.findings.filter((f) => f.checkId === 'tls.load-balancer-plaintext' && f.instanceId === id(name));
      expect(fs.map((f) => f.status)).toEqual(['NOT_AVAILABLE']);
      expect(String(fs[0]!.evidence.reason)).toContain('DescribeListeners');
    }
    // The internal load balancer's own unread listeners are named (its read is for this check only).
    const [f] = d.findings.filter((f) => f.checkId === 'tls.load-balancer-plaintext' && f.instanceId === id('internal-https'));
    expect(String(f!.evidence.reason)).toContain('internal-https: ');
  });
  // The load balancers are listed before the region's groups (one describe reads both): a listing denied must not
  // hold up the groups, nor leave a path unread as a pass.
  it('elasticloadbalancing:DescribeLoadBalancers denied: paths through load balancers NOT_AVAILABLE, direct paths still judged', async () => {
    const { doc: d, coverage } = await scanDenying('elasticloadbalancing:DescribeLoadBalancers');
    for (const name of ['behind-alb', 'behind-clb']) {
      const fs = http(d, name);
      expect(fs.map((f) => f.status)).not.toContain('PASSED');
      expect(coverage.has(`${id(name)}/net.http-port-public`)).toBe(false);
    }
    expect(http(d, 'direct').map(brief)).toContain('FAILED CRITICAL AwsEc2SecurityGroup');
  });
  it('elasticloadbalancing:DescribeTargetHealth denied: NOT_AVAILABLE for instances a target group could reach, the rest unchanged', async () => {
    const { doc: d, coverage } = await scanDenying('elasticloadbalancing:DescribeTargetHealth');
    for (const name of ['behind-alb', 'behind-nlb', 'other-port', 'internal-lb']) {
      const fs = http(d, name);
      expect(fs.map((f) => f.status)).toEqual(['NOT_AVAILABLE']);
      expect(String(fs[0]!.evidence.reason)).toContain('DescribeTargetHealth');
      expect(coverage.has(`${id(name)}/net.http-port-public`)).toBe(false);
    }
    // The Classic LB needs no target health; a direct path needs no load balancer; no 8086 rule means no LB can reach it.
    expect(http(d, 'behind-clb').map(brief)).toContain('FAILED CRITICAL AwsElbLoadBalancer');
    expect(http(d, 'direct').map(brief)).toContain('FAILED CRITICAL AwsEc2SecurityGroup');
    expect(http(d, 'untouched').map((f) => f.status)).toEqual(['PASSED']);
  });
  it('elasticloadbalancing:DescribeTargetGroupAttributes denied: NOT_AVAILABLE where client IP preservation decides, never a pass', async () => {
    const { doc: d, coverage } = await scanDenying('elasticloadbalancing:DescribeTargetGroupAttributes');
    for (const name of ['behind-nlb', 'nlb-instance-vpc', 'nlb-ip-preserved', 'nlb-instance-off']) {
      const fs = http(d, name);
      expect(fs.map((f) => f.status)).toEqual(['NOT_AVAILABLE']);
      expect(String(fs[0]!.evidence.reason)).toContain('DescribeTargetGroupAttributes');
      expect(coverage.has(`${id(name)}/net.http-port-public`)).toBe(false);
    }
    // Where the attribute cannot change the answer, the answer stands.
    expect(http(d, 'nlb-group-ref').map(brief)).toEqual(['FAILED CRITICAL AwsElbv2LoadBalancer']);
    expect(http(d, 'nlb-instance-world').map(brief)).toContain('FAILED CRITICAL AwsElbv2LoadBalancer');
    expect(http(d, 'behind-alb').map(brief)).toEqual(['FAILED CRITICAL AwsElbv2LoadBalancer']);
  });
  it('ec2:GetManagedPrefixListEntries denied: a route to a prefix list may reach the gateway: FAILED at the base severity, incomplete', async () => {
    const { doc: d, coverage } = await scanDenying('ec2:GetManagedPrefixListEntries');
    const [f] = http(d, 'pl-route');
    expect(brief(f!)).toBe('FAILED HIGH AwsEc2SecurityGroup');
    expect(String(f!.evidence.incomplete)).toContain('GetManagedPrefixListEntries');
    expect(coverage.has(`${id('pl-route')}/net.http-port-public`)).toBe(false);
    // A table without a route to a prefix list is judged as before.
    expect(http(d, 'direct').map(brief)).toContain('FAILED CRITICAL AwsEc2SecurityGroup');
  });
  it('elasticloadbalancing:DescribeRules denied: a default action’s path could be shadowed by a rule: NOT_AVAILABLE, never a pass', async () => {
    const { doc: d, coverage } = await scanDenying('elasticloadbalancing:DescribeRules');
    // behind-weight-0: weighing 0 in the default action, a rule could still forward to its group.
    for (const name of ['behind-alb', 'behind-alb-rule', 'behind-shadowed', 'behind-weight-0']) {
      const fs = http(d, name);
      expect(fs.map((f) => f.status)).toEqual(['NOT_AVAILABLE']);
      expect(String(fs[0]!.evidence.reason)).toContain('DescribeRules');
      expect(coverage.has(`${id(name)}/net.http-port-public`)).toBe(false);
    }
    expect(String(http(d, 'behind-weight-0')[0]!.evidence.reason)).toContain('alb-weighted: rules of listener 443');
    // Whether the plain-HTTP listener forwards there at all is unknown too (never a pass, never a guessed failure).
    const tls = d.findings.filter((f) => f.checkId === 'tls.load-balancer-plaintext' && f.instanceId === id('behind-shadowed'));
    expect(tls.map((f) => f.status)).toEqual(['NOT_AVAILABLE']);
    // An NLB has no rules: its path stands (beside the rule-attached groups' unknown, which may forward anywhere); an
    // instance admitting 8086 from nothing stays PASSED.
    expect(http(d, 'behind-nlb').map(brief)).toContain('FAILED CRITICAL AwsElbv2LoadBalancer');
    expect(http(d, 'untouched').map((f) => f.status)).toEqual(['PASSED']);
  });
  it('ec2:DescribeRouteTables denied: world-open instances with a public address stay FAILED at the base severity, incomplete', async () => {
    const { doc: d, coverage } = await scanDenying('ec2:DescribeRouteTables');
    const [f] = http(d, 'direct');
    expect(brief(f!)).toBe('FAILED HIGH AwsEc2SecurityGroup');
    expect(String(f!.evidence.incomplete)).toContain('DescribeRouteTables');
    expect(coverage.has(`${id('direct')}/net.http-port-public`)).toBe(false);
    // A load balancer's own path crosses its subnets' route tables (issue 31): unread, its paths cannot be judged.
    expect(http(d, 'behind-alb').map((f) => f.status)).toEqual(['NOT_AVAILABLE']);
    expect(String(http(d, 'behind-alb')[0]!.evidence.reason)).toContain('DescribeRouteTables');
  });
});
