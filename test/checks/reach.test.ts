/**
 * Reachability hop by hop (CHECKS.md, "Reachable from the internet"), on the
 * pure model: each path shape, each way a path breaks, and what missing
 * evidence does. The same shapes against moto: test/integration/reach.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import { portExposureChecks, unexpectedPortsOpen } from '../../lib/checks/net.js';
import { parseAllowedPort } from '../../lib/config.js';
import { internetExposed } from '../../lib/evidence/index.js';
import { withPaths } from '../../lib/exposure/network.js';
import { evaluateInstance } from '../../lib/evaluate.js';
import { renderTable } from '../../lib/render/table.js';
import { summarise } from '../../lib/summary.js';
import type { InstanceCheck, LoadBalancerRoute, NetworkAcl, Outcome } from '../../lib/model.js';
import { loadBalancerPaths, mayAdmitLoadBalancer, preservationDecides } from '../../lib/exposure/reach.js';
import { fail, ok } from '../../lib/model.js';
import { ctx, instance, lbRoute, net, OPEN_ACL, open, position, routeTable } from '../support/fixtures.js';
import { loadBalancerPlaintext } from '../../lib/checks/instance.js';
import { forwardingOf, routesBySubnet } from '../../lib/discover/network.js';
import { subtractCidrs } from '../../lib/util/cidr.js';
import type { Rule } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Route } from '@aws-sdk/client-ec2';
import type { SubnetRoutes } from '../../lib/model.js';

const check = (id: string): InstanceCheck => [...portExposureChecks, unexpectedPortsOpen].find((c) => c.id === id)!;
const http = check('net.http-port-public');
const SG = 'sg-0000000000000000a';
const LB_SG = 'sg-00000000000000a1b';
const IP = '54.1.2.3';
const world = [open(SG, 'tcp', 8086, '0.0.0.0/0')];
const onPublicSubnet = (over: Parameters<typeof position>[0] = {}) => [position({ groupIds: [SG], publicIpv4: [IP], ...over })];
const acl = (entries: NetworkAcl['entries']): NetworkAcl => ({ aclId: 'acl-0000000000000000b', entries });
/** An ACL letting TCP 8086 in only from `cidr` (rule `ruleNumber`), every reply out. */
const inboundOnly = (ruleNumber: number, cidr: string): NetworkAcl =>
  acl([
    { ruleNumber, egress: false, allow: true, protocol: 'tcp', fromPort: 8086, toPort: 8086, cidr, family: 4 },
    ...OPEN_ACL.entries.filter((e) => e.egress),
  ]);
/** An inbound ACL entry denying all traffic from `cidr`. */
const denyAll = (ruleNumber: number, cidr: string): NetworkAcl['entries'][number] => ({
  ruleNumber,
  egress: false,
  allow: false,
  protocol: 'all',
  fromPort: 0,
  toPort: 65535,
  cidr,
  family: 4,
});
/** Network evidence of an instance with a world-open 8086 group in a subnet with this ACL, behind this load balancer route. */
const behind = (route: LoadBalancerRoute, subnetAcl: NetworkAcl) => {
  const n = net([open(SG, 'tcp', 8086, '0.0.0.0/0')], { loadBalancers: ok({ routes: [route], unknown: [] }) });
  n.interfaces = [position({ groupIds: [SG], acl: ok(subnetAcl) })];
  return n;
};
const hopIds = (o: Outcome) => ((o.details!.paths as { hops: { id: string }[] }[])[0]!.hops ?? []).map((h) => h.id);

describe('direct paths', () => {
  it('public IPv4 + IGW default route + ACL allowing in and out + world-open group: CRITICAL, the path hop by hop', () => {
    const [o] = http.evaluate(ctx({ net: net(world, { publicIpv4: [IP], interfaces: onPublicSubnet() }) }));
    expect(o).toMatchObject({ status: 'FAILED', severity: 'CRITICAL', details: { internetReachable: true } });
    expect(hopIds(o!)).toEqual([IP, 'igw-0000000000000000a', 'rtb-0000000000000000a', OPEN_ACL.aclId, SG]);
    expect(JSON.stringify(o!.details)).toContain('inbound rule 100 allows TCP 8086');
    expect(o!.summary).toContain(`reachable from the internet: ${IP}`);
  });
  it('the main route table counts for a subnet without an explicit association', () => {
    const routes = ok(routeTable('rtb-main', { '0.0.0.0/0': 'igw-1' }, true));
    const [o] = http.evaluate(ctx({ net: net(world, { publicIpv4: [IP], interfaces: onPublicSubnet({ routes }) }) }));
    expect(o).toMatchObject({ severity: 'CRITICAL' });
    expect(JSON.stringify(o!.details)).toContain('(main table)');
  });
  it('a global IPv6 address, ::/0 to an IGW and a ::/0 rule: CRITICAL over IPv6', () => {
    const rules = [open(SG, 'tcp', 8086, '::/0')];
    const interfaces = onPublicSubnet({ publicIpv4: [], publicIpv6: ['2a05:d018::1'] });
    const [o] = http.evaluate(ctx({ net: net(rules, { interfaces }) }));
    expect(o).toMatchObject({ severity: 'CRITICAL' });
    expect(o!.details!.paths).toEqual([expect.objectContaining({ family: 'IPv6', state: 'open' })]);
  });
  it.each([
    ['a NAT gateway', 'nat-0123'],
    ['a peering connection', 'pcx-0123'],
    ['a transit gateway', 'tgw-0123'],
    ['a virtual private gateway', 'vgw-0123'],
    ['nowhere', undefined],
  ])('broken: the default route goes to %s, not an internet gateway → latent HIGH', (_, target) => {
    const routes = ok(routeTable('rtb-x', target ? { '0.0.0.0/0': target } : {}));
    const [o] = http.evaluate(ctx({ net: net(world, { publicIpv4: [IP], interfaces: onPublicSubnet({ routes }) }) }));
    expect(o).toMatchObject({ status: 'FAILED', severity: 'HIGH', details: { internetReachable: false } });
    expect(o!.summary).toContain('latent');
    expect(o!.summary).toContain(target ? `to ${target}, not an internet gateway` : 'no default route');
  });
  it('broken: an egress-only internet gateway carries no inbound IPv6', () => {
    const routes = ok(routeTable('rtb-x', { '::/0': 'eigw-0123' }));
    const interfaces = onPublicSubnet({ publicIpv4: [], publicIpv6: ['2a05:d018::1'], routes });
    expect(http.evaluate(ctx({ net: net([open(SG, 'tcp', 8086, '::/0')], { interfaces }) }))[0]).toMatchObject({ severity: 'HIGH' });
  });
  it('broken: an ACL deny before the allow (rule order, not list order) → latent, naming the rule', () => {
    const entries = [
      ...OPEN_ACL.entries,
      { ruleNumber: 90, egress: false, allow: false, protocol: 'tcp', fromPort: 8086, toPort: 8086, cidr: '0.0.0.0/0', family: 4 as const },
    ];
    const [o] = http.evaluate(ctx({ net: net(world, { publicIpv4: [IP], interfaces: onPublicSubnet({ acl: ok(acl(entries)) }) }) }));
    expect(o).toMatchObject({ severity: 'HIGH' });
    expect(o!.summary).toContain('rule 90 denies TCP 8086');
    // The same deny after the allow changes nothing.
    const later = entries.map((e) => (e.ruleNumber === 90 ? { ...e, ruleNumber: 200 } : e));
    expect(
      http.evaluate(ctx({ net: net(world, { publicIpv4: [IP], interfaces: onPublicSubnet({ acl: ok(acl(later)) }) }) }))[0],
    ).toMatchObject({ severity: 'CRITICAL' });
  });
  it('an ACL admitting only part of the internet is not the world: 8.8.8.8/32 alone → latent HIGH, naming what passes', () => {
    const entries = inboundOnly(100, '8.8.8.8/32').entries;
    const [o] = http.evaluate(ctx({ net: net(world, { publicIpv4: [IP], interfaces: onPublicSubnet({ acl: ok(acl(entries)) }) }) }));
    expect(o).toMatchObject({ status: 'FAILED', severity: 'HIGH', details: { internetReachable: false } });
    expect(o!.summary).toContain('only 8.8.8.8/32 passes network ACL acl-0000000000000000b rule 100');
  });
  // CHECKS.md "the world" (issue 31): some public sources pass but not the world — the evidence names them and the
  // hop that let only them through ("only 52.94.76.0/24 passes network ACL acl-… rule 50"), hop by hop.
  it('issue 31: an ACL admitting one partner /24 (rule 50) names the sources that pass, and the hop narrowing them', () => {
    const entries = inboundOnly(50, '52.94.76.0/24').entries;
    const [o] = http.evaluate(ctx({ net: net(world, { publicIpv4: [IP], interfaces: onPublicSubnet({ acl: ok(acl(entries)) }) }) }));
    expect(o).toMatchObject({ status: 'FAILED', severity: 'HIGH', details: { internetReachable: false } });
    expect(o!.summary).toContain('only 52.94.76.0/24 passes network ACL acl-0000000000000000b rule 50');
    const [path] = o!.details!.paths as { hops: { hop: string; passes?: string }[]; sources?: string[] }[];
    expect(path!.hops.map((h) => h.hop)).toEqual(['address', 'internet-gateway', 'route-table', 'network-acl', 'security-group']);
    expect(path!.hops.find((h) => h.hop === 'network-acl')!.passes).toBe('52.94.76.0/24');
    expect(path!.sources).toEqual(['52.94.76.0/24']);
  });
  it('ACL allow rules whose sources together cover the public internet (two /1 halves) admit the world', () => {
    const half = (ruleNumber: number, cidr: string) =>
      ({ ruleNumber, egress: false, allow: true, protocol: 'tcp', fromPort: 8086, toPort: 8086, cidr, family: 4 as const }) as const;
    const entries = [half(100, '0.0.0.0/1'), half(110, '128.0.0.0/1'), ...OPEN_ACL.entries.filter((e) => e.egress)];
    const interfaces = onPublicSubnet({ acl: ok(acl(entries)) });
    expect(http.evaluate(ctx({ net: net(world, { publicIpv4: [IP], interfaces }) }))[0]).toMatchObject({ severity: 'CRITICAL' });
  });
  // Issue 31, test fails on the old code (HIGH, latent): the ACL was asked to admit the *whole* internet, so one deny
  // of an abusive /16 before the allow-all made the path latent. The rest of the internet still gets in: the world.
  it('issue 31: a deny of one /16 before an allow-all still admits the world → CRITICAL, the deny named in the hop', () => {
    const deny = denyAll(90, '198.51.0.0/16');
    const interfaces = onPublicSubnet({ acl: ok(acl([...OPEN_ACL.entries, deny])) });
    const [o] = http.evaluate(ctx({ net: net(world, { publicIpv4: [IP], interfaces }) }));
    expect(o).toMatchObject({ status: 'FAILED', severity: 'CRITICAL', details: { internetReachable: true } });
    expect(JSON.stringify(o!.details)).toContain('inbound rule 90 denies part');
  });
  it('an ACL denying half of the internet (0.0.0.0/1) before an allow-all leaves 128.0.0.0/1 (44 %): not the world → latent', () => {
    const deny = denyAll(90, '0.0.0.0/1');
    const interfaces = onPublicSubnet({ acl: ok(acl([...OPEN_ACL.entries, deny])) });
    const [o] = http.evaluate(ctx({ net: net(world, { publicIpv4: [IP], interfaces }) }));
    expect(o).toMatchObject({ severity: 'HIGH' });
    expect(o!.summary).toMatch(/only 128\.0\.0\.0\/1 .*passes network ACL acl-0000000000000000b rule 100/);
  });
  // Issue 31, test fails on the old code ("no default route"): only the 0.0.0.0/0 route was read; two /1 routes to the
  // internet gateway send every reply out, per source by longest prefix.
  it('issue 31: a default route split into 0.0.0.0/1 + 128.0.0.0/1 to the internet gateway is complete → CRITICAL', () => {
    const routes = ok(routeTable('rtb-split', { '10.0.0.0/16': 'local', '0.0.0.0/1': 'igw-1', '128.0.0.0/1': 'igw-1' }));
    const [o] = http.evaluate(ctx({ net: net(world, { publicIpv4: [IP], interfaces: onPublicSubnet({ routes }) }) }));
    expect(o).toMatchObject({ status: 'FAILED', severity: 'CRITICAL' });
    expect(JSON.stringify(o!.details)).toContain('0.0.0.0/1 → igw-1, 128.0.0.0/1 → igw-1');
  });
  it('longest prefix per source: 0.0.0.0/0 to the gateway but 0.0.0.0/1 to a NAT gateway leaves 44 % → latent', () => {
    const routes = ok(routeTable('rtb-more', { '0.0.0.0/0': 'igw-1', '0.0.0.0/1': 'nat-1' }));
    const [o] = http.evaluate(ctx({ net: net(world, { publicIpv4: [IP], interfaces: onPublicSubnet({ routes }) }) }));
    expect(o).toMatchObject({ severity: 'HIGH' });
    expect(o!.summary).toContain('only 128.0.0.0/1');
    expect(o!.summary).toContain('passes route table rtb-more (0.0.0.0/0 → igw-1)');
  });
  it('hostile ACL text: an entry whose CIDR does not parse matches no source (no crash, the next rule decides)', () => {
    const garbage = { ...denyAll(10, '\u001b[31m0.0.0.0/0'), ruleNumber: 10 };
    const interfaces = onPublicSubnet({ acl: ok(acl([garbage, ...OPEN_ACL.entries])) });
    expect(http.evaluate(ctx({ net: net(world, { publicIpv4: [IP], interfaces }) }))[0]).toMatchObject({ severity: 'CRITICAL' });
  });
  it('broken: the ACL lets 8086 in but no reply out to ephemeral ports', () => {
    const entries = OPEN_ACL.entries.filter((e) => !e.egress);
    const [o] = http.evaluate(ctx({ net: net(world, { publicIpv4: [IP], interfaces: onPublicSubnet({ acl: ok(acl(entries)) }) }) }));
    expect(o).toMatchObject({ severity: 'HIGH' });
    expect(o!.summary).toContain('ephemeral');
  });
  it('broken: an IPv6-only rule with only a public IPv4 address', () => {
    const [o] = http.evaluate(ctx({ net: net([open(SG, 'tcp', 8086, '::/0')], { publicIpv4: [IP], interfaces: onPublicSubnet() }) }));
    expect(o).toMatchObject({ severity: 'HIGH' });
    expect(o!.summary).toContain('no public IPv6 address');
  });
  it('broken: the world-open group is on another interface than the public address', () => {
    const interfaces = [position({ groupIds: ['sg-other'], publicIpv4: [IP] }), position({ interfaceId: 'eni-2', groupIds: [SG] })];
    expect(http.evaluate(ctx({ net: net(world, { interfaces }) }))[0]).toMatchObject({ severity: 'HIGH' });
  });
  it('a source set covering the internet without a /0 completes a path too', () => {
    const halves = [open(SG, 'tcp', 8086, '0.0.0.0/1'), open(SG, 'tcp', 8086, '128.0.0.0/1')];
    expect(http.evaluate(ctx({ net: net(halves, { publicIpv4: [IP], interfaces: onPublicSubnet() }) }))[0]).toMatchObject({
      severity: 'CRITICAL',
    });
  });
  it('issue 35: the security-group hop measures the merged set: an unaligned split, or 0.0.0.0/1 alone, completes a path; 128.0.0.0/1 alone does not', () => {
    const split = ['0.0.0.0/3', '32.0.0.0/4', '48.0.0.0/4', '64.0.0.0/2', '128.0.0.0/1'].map((x) => open(SG, 'tcp', 8086, x));
    const on = (rules: ReturnType<typeof open>[]) =>
      http.evaluate(ctx({ net: net(rules, { publicIpv4: [IP], interfaces: onPublicSubnet() }) }))[0];
    expect(on(split)).toMatchObject({ status: 'FAILED', severity: 'CRITICAL' });
    expect(on([open(SG, 'tcp', 8086, '0.0.0.0/1')])).toMatchObject({ status: 'FAILED', severity: 'CRITICAL' });
    expect(on([open(SG, 'tcp', 8086, '128.0.0.0/1')])).toMatchObject({ status: 'PASSED' });
  });
  // Issue 31, fails on the old code (latent HIGH): the security-group hop took only the flagged group's world-open
  // rules; CHECKS.md counts every group of the interface, so 64.0.0.0/2 (through 0.0.0.0/1 past the ACL) plus another
  // group's 128.0.0.0/1 is the world.
  it('issue 31: the groups of the interface admit together: 0.0.0.0/1 narrowed by the ACL plus another group’s 128.0.0.0/1 → CRITICAL', () => {
    const deny = denyAll(90, '0.0.0.0/2');
    const rules = [open(SG, 'tcp', 8086, '0.0.0.0/1'), open('sg-other', 'tcp', 8086, '128.0.0.0/1')];
    const interfaces = [position({ groupIds: [SG, 'sg-other'], publicIpv4: [IP], acl: ok(acl([...OPEN_ACL.entries, deny])) })];
    const outcomes = http.evaluate(ctx({ net: net(rules, { publicIpv4: [IP], interfaces }) }));
    expect(outcomes.find((o) => o.resource?.id === SG)).toMatchObject({ status: 'FAILED', severity: 'CRITICAL' });
  });
  it('missing evidence: route tables or ACLs unreadable → FAILED at the base severity, incomplete (never lowers an earlier CRITICAL)', () => {
    for (const over of [
      { routes: fail('ec2:DescribeRouteTables failed: Throttling') },
      { acl: fail('ec2:DescribeNetworkAcls failed: denied') },
    ]) {
      const c = ctx({ net: net(world, { publicIpv4: [IP], interfaces: onPublicSubnet(over) }) });
      const [o] = http.evaluate(c);
      expect(o).toMatchObject({ status: 'FAILED', severity: 'HIGH' });
      expect(o!.incomplete).toMatch(/DescribeRouteTables|DescribeNetworkAcls/);
      const assessed = new Set<string>();
      evaluateInstance([http], c, assessed);
      expect(assessed.size).toBe(0);
    }
  });
  it('missing evidence that cannot change the answer leaves it complete: no public address at all', () => {
    const c = ctx({ net: net(world, { interfaces: onPublicSubnet({ publicIpv4: [], routes: fail('denied') }) }) });
    const assessed = new Set<string>();
    const [f] = evaluateInstance([http], c, assessed);
    expect(f).toMatchObject({ status: 'FAILED', severity: 'HIGH' });
    expect(assessed.size).toBe(1);
  });
  it('net.unexpected-ports-open: world-open SSH with a complete path is CRITICAL, without one HIGH (latent)', () => {
    const ssh = [open(SG, 'tcp', 22, '0.0.0.0/0')];
    expect(unexpectedPortsOpen.evaluate(ctx({ net: net(ssh, { publicIpv4: [IP], interfaces: onPublicSubnet() }) }))[0]).toMatchObject({
      severity: 'CRITICAL',
    });
    const [latent] = unexpectedPortsOpen.evaluate(ctx({ net: net(ssh) }));
    expect(latent).toMatchObject({ severity: 'HIGH' });
    expect(latent!.summary).toContain('latent');
  });
  it('net.unexpected-ports-open: a range is reachable when the ACL lets any port of it in', () => {
    const entries = [
      { ruleNumber: 10, egress: false, allow: true, protocol: 'tcp', fromPort: 3000, toPort: 3000, cidr: '0.0.0.0/0', family: 4 as const },
      ...OPEN_ACL.entries.filter((e) => e.egress),
    ];
    const interfaces = onPublicSubnet({ acl: ok(acl(entries)) });
    const rules = [open(SG, 'tcp', [1000, 5000], '0.0.0.0/0')];
    expect(unexpectedPortsOpen.evaluate(ctx({ net: net(rules, { publicIpv4: [IP], interfaces }) }))[0]).toMatchObject({
      severity: 'CRITICAL',
    });
  });
  it('net.cluster-ports-exposed: world-open 8091 on a meta node is HIGH, CRITICAL with a complete path', () => {
    const c = check('net.cluster-ports-exposed');
    const rules = [open(SG, 'tcp', 8091, '0.0.0.0/0')];
    expect(c.evaluate(ctx({ instance: { role: 'meta' }, net: net(rules) }))[0]).toMatchObject({ severity: 'HIGH' });
    expect(
      c.evaluate(ctx({ instance: { role: 'meta' }, net: net(rules, { publicIpv4: [IP], interfaces: onPublicSubnet() }) }))[0],
    ).toMatchObject({ severity: 'CRITICAL' });
  });
});

describe('routes to managed prefix lists', () => {
  it('discovery: a route to a prefix list is one route per CIDR the list holds; a hostile id or entry is never echoed', () => {
    const table = {
      RouteTableId: 'rtb-1',
      VpcId: 'vpc-1',
      Associations: [{ SubnetId: 'subnet-1' }],
      Routes: [
        { DestinationPrefixListId: 'pl-0abc', GatewayId: 'igw-1', State: 'active' as const },
        { DestinationPrefixListId: 'pl-\u001b[2Jx', GatewayId: 'igw-1' },
        { DestinationPrefixListId: 'pl-0dead', GatewayId: 'vpce-1' },
      ],
    };
    const lists = new Map([
      ['pl-0abc', ok(['0.0.0.0/1', 'junk\u001b', '128.0.0.0/1'])],
      ['pl-\u001b[2Jx', ok(['10.0.0.0/8'])],
      ['pl-0dead', fail('ec2:GetManagedPrefixListEntries: AccessDenied')],
    ]);
    const r = routesBySubnet([table], new Map([['subnet-1', 'vpc-1']]), lists).get('subnet-1')!;
    expect(r.routes).toEqual([
      { destination: '0.0.0.0/1', family: 4, target: 'igw-1', prefixList: 'pl-0abc' },
      { destination: '128.0.0.0/1', family: 4, target: 'igw-1', prefixList: 'pl-0abc' },
      { destination: '10.0.0.0/8', family: 4, target: 'igw-1', prefixList: 'pl-?' },
    ]);
    expect(r.unreadLists).toEqual([{ prefixList: 'pl-0dead', target: 'vpce-1', reason: 'ec2:GetManagedPrefixListEntries: AccessDenied' }]);
  });
  const IGW = 'igw-0000000000000000a';
  /** A table with these CIDR routes, and a route per prefix list (its CIDRs) to a target. */
  const withLists = (
    cidr: Record<string, string>,
    lists: { id: string; cidrs: string[]; target: string }[],
    unread: SubnetRoutes['unreadLists'] = [],
  ) => {
    const t = routeTable('rtb-0000000000000000p', cidr);
    t.routes.push(
      ...lists.flatMap((l) => l.cidrs.map((destination) => ({ destination, family: 4 as const, target: l.target, prefixList: l.id }))),
    );
    return ok(unread.length ? { ...t, unreadLists: unread } : t);
  };
  const judge = (routes: ReturnType<typeof withLists>) =>
    http.evaluate(ctx({ net: net(world, { publicIpv4: [IP], interfaces: onPublicSubnet({ routes }) }) }));
  it('the default route as a prefix list (0.0.0.0/1 + 128.0.0.0/1) to the internet gateway: CRITICAL, the list named on the route hop', () => {
    const [o] = judge(withLists({}, [{ id: 'pl-0halves', cidrs: ['0.0.0.0/1', '128.0.0.0/1'], target: IGW }]));
    expect(o).toMatchObject({ status: 'FAILED', severity: 'CRITICAL' });
    expect(JSON.stringify(o!.details)).toContain(`prefix list pl-0halves (0.0.0.0/1, 128.0.0.0/1) → ${IGW}`);
  });
  it('longest prefix per source: a prefix list of two /1 halves to a NAT gateway takes every source from the default route → latent', () => {
    const [o] = judge(withLists({ '0.0.0.0/0': IGW }, [{ id: 'pl-0halves', cidrs: ['0.0.0.0/1', '128.0.0.0/1'], target: 'nat-0123' }]));
    expect(o).toMatchObject({ severity: 'HIGH' });
    expect(o!.summary).toContain('prefix list pl-0halves (0.0.0.0/1, 128.0.0.0/1) to nat-0123, not an internet gateway');
  });
  it('at the same length a CIDR route wins over a prefix list’s (AWS route priority)', () => {
    expect(judge(withLists({ '0.0.0.0/0': IGW }, [{ id: 'pl-0all', cidrs: ['0.0.0.0/0'], target: 'nat-0123' }]))[0]).toMatchObject({
      severity: 'CRITICAL',
    });
    expect(judge(withLists({ '0.0.0.0/0': 'nat-0123' }, [{ id: 'pl-0all', cidrs: ['0.0.0.0/0'], target: IGW }]))[0]).toMatchObject({
      severity: 'HIGH',
    });
  });
  it('a list of AWS service ranges (a gateway endpoint’s) takes only those sources: the rest is still the world', () => {
    const [o] = judge(withLists({ '0.0.0.0/0': IGW }, [{ id: 'pl-0s3', cidrs: ['52.216.0.0/15', '3.5.0.0/19'], target: 'vpce-0123' }]));
    expect(o).toMatchObject({ severity: 'CRITICAL' });
  });
  it('a list with many CIDRs is named with its first four and a count', () => {
    const cidrs = Array.from({ length: 6 }, (_, i) => `${i * 32}.0.0.0/3`);
    const [o] = judge(withLists({}, [{ id: 'pl-0six', cidrs, target: IGW }]));
    expect(JSON.stringify(o!.details)).toContain('prefix list pl-0six (0.0.0.0/3, 32.0.0.0/3, 64.0.0.0/3, 96.0.0.0/3 and 2 more)');
  });
  it('at the same length a prefix list’s route wins over a propagated one, a static route over both (AWS route priority; the propagated VPN route won on the old code)', () => {
    const propagated = { GatewayId: 'vgw-0123', Origin: 'EnableVgwRoutePropagation' as const, State: 'active' as const };
    const judgeTable = (Routes: Route[]) => {
      const table = { RouteTableId: 'rtb-0000000000000000v', VpcId: 'vpc-1', Associations: [{ SubnetId: 'subnet-1' }], Routes };
      const lists = new Map([['pl-0halves', ok(['0.0.0.0/1', '128.0.0.0/1'])]]);
      return judge(ok(routesBySubnet([table], new Map([['subnet-1', 'vpc-1']]), lists).get('subnet-1')!));
    };
    // A VPN propagating both halves of the internet, and the same halves as a prefix list to the internet gateway.
    const halves = [
      { DestinationCidrBlock: '0.0.0.0/1', ...propagated },
      { DestinationCidrBlock: '128.0.0.0/1', ...propagated },
      { DestinationPrefixListId: 'pl-0halves', GatewayId: IGW, Origin: 'CreateRoute' as const },
    ];
    expect(judgeTable(halves)[0]).toMatchObject({ status: 'FAILED', severity: 'CRITICAL' });
    // A propagated default route listed before the static one to the internet gateway: the static one carries the reply.
    const both = [
      { DestinationCidrBlock: '0.0.0.0/0', ...propagated },
      { DestinationCidrBlock: '0.0.0.0/0', GatewayId: IGW, Origin: 'CreateRoute' as const },
    ];
    expect(judgeTable(both)[0]).toMatchObject({ status: 'FAILED', severity: 'CRITICAL' });
    // And the other way: a static route to a NAT gateway wins over a prefix list's to the internet gateway.
    const nat = [
      { DestinationCidrBlock: '0.0.0.0/1', NatGatewayId: 'nat-0123', Origin: 'CreateRoute' as const },
      { DestinationCidrBlock: '128.0.0.0/1', NatGatewayId: 'nat-0123', Origin: 'CreateRoute' as const },
      { DestinationPrefixListId: 'pl-0halves', GatewayId: IGW, Origin: 'CreateRoute' as const },
    ];
    expect(judgeTable(nat)[0]).toMatchObject({ severity: 'HIGH' });
  });
  it('attacks that stay closed or open as AWS routes them (verified: pass on the old code too): blackhole, IPv6 lists, an empty list', () => {
    const judgeTable = (Routes: Route[], lists: [string, string[]][], v6 = false) => {
      const table = { RouteTableId: 'rtb-0000000000000000b', VpcId: 'vpc-1', Associations: [{ SubnetId: 'subnet-1' }], Routes };
      const routes = ok(
        routesBySubnet([table], new Map([['subnet-1', 'vpc-1']]), new Map(lists.map(([id, c]) => [id, ok(c)]))).get('subnet-1')!,
      );
      const interfaces = onPublicSubnet(v6 ? { publicIpv4: [], publicIpv6: ['2a05:d018::1'], routes } : { routes });
      return http.evaluate(
        ctx({ net: net(v6 ? [open(SG, 'tcp', 8086, '::/0')] : world, { ...(v6 ? {} : { publicIpv4: [IP] }), interfaces }) }),
      )[0]!;
    };
    // A blackhole route to the internet gateway drops the reply (a CIDR or a prefix list's), and takes its sources from a shorter route.
    expect(judgeTable([{ DestinationCidrBlock: '0.0.0.0/0', GatewayId: IGW, State: 'blackhole' }], [])).toMatchObject({ severity: 'HIGH' });
    const blackholeList = judgeTable(
      [
        { DestinationCidrBlock: '0.0.0.0/0', GatewayId: IGW, State: 'active' },
        { DestinationPrefixListId: 'pl-0a1f', GatewayId: IGW, State: 'blackhole' },
      ],
      [['pl-0a1f', ['0.0.0.0/1', '128.0.0.0/1']]],
    );
    expect(blackholeList).toMatchObject({ severity: 'HIGH' });
    expect(blackholeList.summary).toContain('prefix list pl-0a1f (0.0.0.0/1, 128.0.0.0/1) to blackhole');
    // An IPv6 list to the internet gateway opens the IPv6 path, and only that family.
    const v6 = [{ DestinationPrefixListId: 'pl-0six', GatewayId: IGW }];
    expect(judgeTable(v6, [['pl-0six', ['::/1', '8000::/1']]], true)).toMatchObject({ severity: 'CRITICAL' });
    expect(judgeTable(v6, [['pl-0six', ['::/1', '8000::/1']]])).toMatchObject({ severity: 'HIGH' });
    // A list of no entry routes nothing: the default route decides.
    const empty = { DestinationPrefixListId: 'pl-0empty', NatGatewayId: 'nat-0123' };
    expect(judgeTable([{ DestinationCidrBlock: '0.0.0.0/0', GatewayId: IGW }, empty], [['pl-0empty', []]])).toMatchObject({
      severity: 'CRITICAL',
    });
  });
  it('missing evidence: a list to the internet gateway that could not be read may let sources in → HIGH, incomplete, never PASSED', () => {
    const unread = [{ prefixList: 'pl-0gone', target: IGW, reason: 'ec2:GetManagedPrefixListEntries: AccessDenied' }];
    const [o] = judge(withLists({}, [], unread));
    expect(o).toMatchObject({ status: 'FAILED', severity: 'HIGH' });
    expect(o!.incomplete).toContain('prefix list pl-0gone (→ igw-0000000000000000a): ec2:GetManagedPrefixListEntries: AccessDenied');
  });
  it('missing evidence: a list elsewhere that could not be read may take sources away: an open path is unknown, a closed one stays closed', () => {
    const unread = [{ prefixList: 'pl-0gone', target: 'vpce-0123', reason: 'throttled' }];
    const [o] = judge(withLists({ '0.0.0.0/0': IGW }, [], unread));
    expect(o).toMatchObject({ status: 'FAILED', severity: 'HIGH' });
    expect(o!.incomplete).toContain('pl-0gone');
    const [closed] = judge(withLists({ '0.0.0.0/0': 'nat-0123' }, [], unread));
    expect(closed).toMatchObject({ status: 'FAILED', severity: 'HIGH' });
    expect(closed!.incomplete).toBeUndefined();
  });
});

describe('load-balancer paths', () => {
  const fromLb = [open(SG, 'tcp', 8086, LB_SG)];
  const withLb = (route = lbRoute(), rules = fromLb) => net(rules, { loadBalancers: ok({ routes: [route], unknown: [] }) });
  it('internet-facing ALB → listener → target group → instance 8086, admitted by a rule referencing the ALB group: CRITICAL on the ALB', () => {
    const outcomes = http.evaluate(ctx({ net: withLb() }));
    expect(outcomes).toHaveLength(1);
    const [o] = outcomes;
    expect(o).toMatchObject({
      status: 'FAILED',
      severity: 'CRITICAL',
      resource: { type: 'AwsElbv2LoadBalancer', id: lbRoute().lb.id },
      details: { internetReachable: true, loadBalancer: 'influx' },
    });
    // The load balancer's own path (its subnet's route table and ACL, its group), then the listener, the target group,
    // the target, and the instance's side (its subnet's ACL letting the load balancer's subnets in, its group).
    expect(hopIds(o!)).toEqual([
      lbRoute().lb.id,
      'rtb-0000000000000000a',
      OPEN_ACL.aclId,
      LB_SG,
      lbRoute().listener.id,
      lbRoute().targetGroup!.id,
      'instance',
      OPEN_ACL.aclId,
      SG,
    ]);
    expect(o!.summary).toContain('HTTPS 443');
  });
  it('NLB without groups → IP target, admitted by a CIDR containing the NLB subnet', () => {
    const route = lbRoute({
      lb: { ...lbRoute().lb, kind: 'network', groupIds: [] },
      admitted: ok('no security groups'),
      target: { port: 8086, kind: 'ip', address: '10.0.1.10' },
    });
    const [o] = http.evaluate(ctx({ net: withLb(route, [open(SG, 'tcp', 8086, '10.0.0.0/16')]) }));
    expect(o).toMatchObject({ severity: 'CRITICAL', resource: { type: 'AwsElbv2LoadBalancer' } });
  });
  describe('NLB client IP preservation (target group attribute preserve_client_ip.enabled)', () => {
    const nlb = (target: LoadBalancerRoute['target'], tg: Partial<NonNullable<LoadBalancerRoute['targetGroup']>> = {}) =>
      lbRoute({
        lb: { ...lbRoute().lb, kind: 'network', groupIds: [LB_SG] },
        admitted: ok('no security groups'),
        targetGroup: { ...lbRoute().targetGroup!, protocol: 'TCP', ...tg },
        target,
      });
    const vpc = [open(SG, 'tcp', 8086, '10.0.0.0/16')];
    const instanceTarget = { port: 8086, kind: 'instance' as const };
    const ipTarget = { port: 8086, kind: 'ip' as const, address: '10.0.1.10' };
    const pathsOf = (o: Outcome) => JSON.stringify(o.details?.paths ?? o.details);
    it('instance target (preserved by default): a rule admitting only the NLB’s subnets admits health checks, not the internet', () => {
      const [o] = http.evaluate(ctx({ net: withLb(nlb(instanceTarget), vpc) }));
      expect(o).toMatchObject({ status: 'PASSED' });
    });
    it('the closed path says which rule decided', () => {
      const n = withLb(nlb(instanceTarget), vpc);
      const [p] = loadBalancerPaths(n, 8086);
      expect(p).toMatchObject({ state: 'closed' });
      expect(p!.broken).toContain(
        "NLB preserves client addresses (instance target): only a rule covering the internet or the NLB's group admits",
      );
      expect(p!.broken).toContain(`${SG} admits TCP 8086 from 10.0.0.0/16: health checks only`);
    });
    it.each([
      ['a world-open rule', [open(SG, 'tcp', 8086, '0.0.0.0/0')]],
      ['a rule referencing the NLB’s group', fromLb],
    ])('preserved: %s admits internet clients → CRITICAL, the evidence naming the rule and why', (_, rules) => {
      const o = http.evaluate(ctx({ net: withLb(nlb(instanceTarget), rules) })).find((x) => x.resource?.type === 'AwsElbv2LoadBalancer');
      expect(o).toMatchObject({ status: 'FAILED', severity: 'CRITICAL' });
      expect(pathsOf(o!)).toContain('NLB preserves client addresses (instance target)');
    });
    // Issue 31, fails on the old code (CRITICAL on the NLB): with client addresses preserved, the public sources
    // themselves cross the instance's subnet ACL, which here admits 8086 only from the VPC.
    it('issue 31: preserved client addresses must pass the instance’s subnet ACL too: an ACL admitting only the VPC → no NLB finding', () => {
      const n = behind(nlb(instanceTarget), inboundOnly(100, '10.0.0.0/16'));
      const outcomes = http.evaluate(ctx({ net: n }));
      expect(outcomes.filter((o) => o.resource?.type === 'AwsElbv2LoadBalancer')).toEqual([]);
      const [p] = loadBalancerPaths(n, 8086);
      expect(p).toMatchObject({ state: 'closed' });
      expect(p!.broken).toContain('no public source passes network ACL acl-0000000000000000b rule 100');
    });
    it('preserved client addresses through an instance ACL admitting one partner: the evidence names what passes', () => {
      const [p] = loadBalancerPaths(behind(nlb(instanceTarget), inboundOnly(50, '52.94.76.0/24')), 8086);
      expect(p!.broken).toContain('only 52.94.76.0/24 passes network ACL acl-0000000000000000b rule 50');
    });
    it('dual-stack NLB, instance target: its IPv6 clients arrive translated from its own addresses, so the subnets’ CIDR admits them → CRITICAL (review: was closed)', () => {
      const route = nlb(instanceTarget);
      const dual = { ...route, lb: { ...route.lb, dualStack: true as const } };
      const o = http.evaluate(ctx({ net: withLb(dual, vpc) })).find((x) => x.resource?.type === 'AwsElbv2LoadBalancer');
      expect(o).toMatchObject({ status: 'FAILED', severity: 'CRITICAL' });
      expect(pathsOf(o!)).toContain('dual-stack NLB: IPv6 clients reach IPv4 targets from its own addresses');
    });
    it('IP target (not preserved by default): the subnets are the source, the CIDR admits → CRITICAL', () => {
      const [o] = http.evaluate(ctx({ net: withLb(nlb(ipTarget), vpc) }));
      expect(o).toMatchObject({ severity: 'CRITICAL' });
      expect(pathsOf(o!)).toContain('NLB does not preserve client addresses (IP target)');
    });
    it('the attribute as read overrides the default, either way; UDP target groups always preserve', () => {
      expect(http.evaluate(ctx({ net: withLb(nlb(ipTarget, { preserveClientIp: ok(true) }), vpc) }))[0]).toMatchObject({
        status: 'PASSED',
      });
      const [off] = http.evaluate(ctx({ net: withLb(nlb(instanceTarget, { preserveClientIp: ok(false) }), vpc) }));
      expect(off).toMatchObject({ severity: 'CRITICAL' });
      expect(pathsOf(off!)).toContain('preserve_client_ip.enabled=false');
      expect(http.evaluate(ctx({ net: withLb(nlb(ipTarget, { protocol: 'TCP_UDP' }), vpc) }))[0]).toMatchObject({ status: 'PASSED' });
    });
    it('ALB: the load balancer’s own nodes are the source, a CIDR containing its subnets admits (unchanged)', () => {
      expect(http.evaluate(ctx({ net: withLb(lbRoute(), vpc) }))[0]).toMatchObject({ severity: 'CRITICAL' });
    });
    it('missing evidence: the attribute unreadable → NOT_AVAILABLE where it decides, the answer unchanged where it does not', () => {
      const denied = { preserveClientIp: fail('elasticloadbalancing:DescribeTargetGroupAttributes failed: AccessDenied') };
      const [o] = http.evaluate(ctx({ net: withLb(nlb(instanceTarget, denied), vpc) }));
      expect(o).toMatchObject({ status: 'NOT_AVAILABLE' });
      expect(o!.summary).toContain('DescribeTargetGroupAttributes');
      expect(http.evaluate(ctx({ net: withLb(nlb(instanceTarget, denied), fromLb) }))[0]).toMatchObject({ severity: 'CRITICAL' });
      expect(http.evaluate(ctx({ net: withLb(nlb(instanceTarget, denied), [open(SG, 'tcp', 22, '10.0.0.0/16')]) }))[0]).toMatchObject({
        status: 'PASSED',
      });
    });
    it('mayAdmitLoadBalancer: whether any rule on any TCP port could let the load balancer in (else its targets cannot matter)', () => {
      const { lb } = lbRoute();
      expect(mayAdmitLoadBalancer([open(SG, 'tcp', 22, '203.0.113.0/24')], lb)).toBe(false);
      expect(mayAdmitLoadBalancer([open(SG, 'udp', 8125, '10.0.0.0/8')], lb)).toBe(false);
      expect(mayAdmitLoadBalancer([open(SG, 'tcp', 9999, '10.0.0.0/8')], lb)).toBe(true);
      expect(mayAdmitLoadBalancer([open(SG, 'tcp', 22, LB_SG)], lb)).toBe(true);
      expect(mayAdmitLoadBalancer(world, lb)).toBe(true);
      expect(mayAdmitLoadBalancer([open(SG, 'tcp', 22, '203.0.113.0/24')], { ...lb, subnetCidrs: fail('denied') })).toBe(true);
    });
    it('preservationDecides: only where a rule admits the subnets but neither the internet nor the NLB’s group', () => {
      expect(preservationDecides(withLb(nlb(instanceTarget), vpc), nlb(instanceTarget))).toBe(true);
      expect(preservationDecides(withLb(nlb(instanceTarget), fromLb), nlb(instanceTarget))).toBe(false);
      expect(preservationDecides(withLb(nlb(instanceTarget), world), nlb(instanceTarget))).toBe(false);
      expect(preservationDecides(withLb(nlb(ipTarget, { protocol: 'UDP' }), vpc), nlb(ipTarget, { protocol: 'UDP' }))).toBe(false);
      expect(preservationDecides(withLb(lbRoute(), vpc), lbRoute())).toBe(false);
    });
  });
  it('ALB: the instance’s subnet ACL must let the load balancer’s subnets in; one denying them breaks the path', () => {
    const denyLb = acl([
      { ruleNumber: 10, egress: false, allow: false, protocol: 'all', fromPort: 0, toPort: 65535, cidr: '10.0.0.0/24', family: 4 },
      ...OPEN_ACL.entries,
    ]);
    const n = withLb();
    n.interfaces = [position({ groupIds: [SG], acl: ok(denyLb) })];
    expect(http.evaluate(ctx({ net: n })).map((o) => o.status)).toEqual(['PASSED']);
    expect(loadBalancerPaths(n, 8086)[0]!.broken).toContain("does not let influx's subnets (10.0.0.0/24) reach TCP 8086");
  });
  it('a target group reached through a listener rule (path condition): still a path, the rule named on the listener hop', () => {
    const route = lbRoute({ listener: { ...lbRoute().listener, rules: ['priority 10'] } });
    const [o] = http.evaluate(ctx({ net: withLb(route) }));
    expect(o).toMatchObject({ status: 'FAILED', severity: 'CRITICAL' });
    const hop = (o!.details!.paths as { hops: { hop: string; detail?: string }[] }[])[0]!.hops.find((h) => h.hop === 'listener');
    expect(hop!.detail).toBe('listener HTTPS 443; rule priority 10 forwards to the target group');
  });
  // Issue 31: a rule's source-ip condition is a hop that narrows the sources (CHECKS.md).
  it('issue 31: a listener rule forwarding only from 52.94.76.0/24 (source-ip): not the world → no finding on the ALB', () => {
    const route = lbRoute({ listener: { ...lbRoute().listener, rules: ['priority 10'], sources: ['52.94.76.0/24'] } });
    expect(http.evaluate(ctx({ net: withLb(route) })).map((o) => o.status)).toEqual(['PASSED']);
    const [p] = loadBalancerPaths(withLb(route), 8086);
    expect(p).toMatchObject({ state: 'closed', sources: ['52.94.76.0/24'] });
    expect(p!.broken).toContain('only 52.94.76.0/24 passes listener 443 rule priority 10 (source-ip)');
  });
  it('a listener rule with source-ip 0.0.0.0/1 (the world): CRITICAL', () => {
    const route = lbRoute({ listener: { ...lbRoute().listener, rules: ['priority 10'], sources: ['0.0.0.0/1'] } });
    expect(http.evaluate(ctx({ net: withLb(route) }))[0]).toMatchObject({ severity: 'CRITICAL' });
  });
  const SHADOW = 'rule priority 1 (path-pattern *) answers every request first (fixed-response)';
  it('a rule matching every request before the default action: the path is closed at the listener, naming the rule; no plain-HTTP forward', () => {
    const route = lbRoute({ listener: { ...lbRoute().listener, protocol: 'HTTP', sources: [], shadowed: [SHADOW] } });
    expect(http.evaluate(ctx({ net: withLb(route) })).map((o) => o.status)).toEqual(['PASSED']);
    const [p] = loadBalancerPaths(withLb(route), 8086);
    expect(p).toMatchObject({ state: 'closed', broken: `listener 443: ${SHADOW}` });
    // As every hop that stops all sources: named in `broken`, after the hops it passed (the load balancer's own path).
    expect(p!.hops.map((h) => h.hop)).toEqual(['load-balancer', 'route-table', 'network-acl', 'security-group']);
    expect(loadBalancerPlaintext.evaluate(ctx({ net: withLb(route) })).map((o) => o.status)).toEqual(['PASSED']);
    expect(
      loadBalancerPlaintext
        .evaluate(ctx({ net: withLb(lbRoute({ listener: { ...route.listener, sources: undefined, shadowed: undefined } })) }))
        .map((o) => o.status),
    ).toEqual(['FAILED']);
  });
  it('weight 0 in the default action: closed at the listener, saying so', () => {
    const route = lbRoute({ listener: { ...lbRoute().listener, sources: [], unused: ['weight 0 in the default action'] } });
    expect(loadBalancerPaths(withLb(route), 8086)[0]).toMatchObject({
      state: 'closed',
      broken: 'listener 443: weight 0 in the default action',
    });
  });
  it('a rule matching every request from one /24 first: the rest of the internet still reaches the default action → CRITICAL, the rule on the hop', () => {
    const shadow = 'rule priority 1 (source-ip only) answers every request from 52.94.76.0/24 first (fixed-response)';
    const sources = [...subtractCidrs(['0.0.0.0/0'], ['52.94.76.0/24']), '::/0'];
    const route = lbRoute({ listener: { ...lbRoute().listener, sources, shadowed: [shadow] } });
    const [o] = http.evaluate(ctx({ net: withLb(route) }));
    expect(o).toMatchObject({ severity: 'CRITICAL' });
    expect(JSON.stringify(o!.details)).toContain(shadow);
  });
  it('missing evidence: the rules of a listener forwarding by its default action unreadable → an open path is unknown (NOT_AVAILABLE), a closed one stays closed', () => {
    const route = lbRoute({ listener: { ...lbRoute().listener, rulesUnread: 'elasticloadbalancing:DescribeRules: AccessDenied' } });
    const outcomes = http.evaluate(ctx({ net: withLb(route) }));
    expect(outcomes.map((o) => o.status)).toEqual(['NOT_AVAILABLE']);
    expect(outcomes[0]!.summary).toContain('rules of listener 443 of influx: elasticloadbalancing:DescribeRules: AccessDenied');
    const dark = { ...route.lb, subnets: [{ subnetId: 'subnet-lb', routes: ok(routeTable('rtb-lb', {})), acl: ok(OPEN_ACL) }] };
    expect(http.evaluate(ctx({ net: withLb({ ...route, lb: dark }) })).map((o) => o.status)).toEqual(['PASSED']);
    // A plain-HTTP listener whose rules could not be read may or may not forward: tls.load-balancer-plaintext cannot say.
    const plain = lbRoute({ listener: { ...route.listener, protocol: 'HTTP' } });
    expect(() => loadBalancerPlaintext.evaluate(ctx({ net: withLb(plain) }))).toThrow(
      /rules of listener 443: elasticloadbalancing:DescribeRules/,
    );
  });
  // Issue 31 (CHECKS.md, a load balancer's own path), fails on the old code (CRITICAL): its subnets' routes were not read.
  it('issue 31: an internet-facing ALB whose subnets have no route to an internet gateway is not a way in', () => {
    const routes = ok(routeTable('rtb-lb', { '0.0.0.0/0': 'nat-0123' }));
    const lb = { ...lbRoute().lb, subnets: [{ subnetId: 'subnet-lb', routes, acl: ok(OPEN_ACL) }] };
    expect(http.evaluate(ctx({ net: withLb(lbRoute({ lb })) })).map((o) => o.status)).toEqual(['PASSED']);
    const [p] = loadBalancerPaths(withLb(lbRoute({ lb })), 8086);
    expect(p!.broken).toContain('route table rtb-lb sends 0.0.0.0/0 to nat-0123, not an internet gateway');
  });
  it('a load balancer in two subnets, one public: its nodes there are a way in (the subnets together)', () => {
    const privateSubnet = { subnetId: 'subnet-private', routes: ok(routeTable('rtb-private', {})), acl: ok(OPEN_ACL) };
    const lb = { ...lbRoute().lb, subnets: [privateSubnet, ...lbRoute().lb.subnets] };
    expect(http.evaluate(ctx({ net: withLb(lbRoute({ lb })) }))[0]).toMatchObject({ severity: 'CRITICAL' });
  });
  it('the load balancer’s subnet ACL denying its listener port: not a way in; its route tables unreadable: NOT_AVAILABLE', () => {
    const deny = acl([
      { ruleNumber: 10, egress: false, allow: false, protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '0.0.0.0/0', family: 4 },
      ...OPEN_ACL.entries,
    ]);
    const denied = { ...lbRoute().lb, subnets: [{ ...lbRoute().lb.subnets[0]!, acl: ok(deny) }] };
    expect(http.evaluate(ctx({ net: withLb(lbRoute({ lb: denied })) })).map((o) => o.status)).toEqual(['PASSED']);
    const unread = { ...lbRoute().lb, subnets: [{ ...lbRoute().lb.subnets[0]!, routes: fail('ec2:DescribeRouteTables failed: denied') }] };
    expect(http.evaluate(ctx({ net: withLb(lbRoute({ lb: unread })) })).map((o) => o.status)).toEqual(['NOT_AVAILABLE']);
  });
  it('Classic LB backend → instance port: CRITICAL on the AwsElbLoadBalancer resource', () => {
    const route = lbRoute({
      lb: { ...lbRoute().lb, kind: 'classic', id: 'influx-clb', name: 'influx-clb' },
      target: { port: 8086, kind: 'backend' },
    });
    const { targetGroup: _, ...classic } = route;
    expect(http.evaluate(ctx({ net: withLb(classic) }))[0]).toMatchObject({ resource: { type: 'AwsElbLoadBalancer', id: 'influx-clb' } });
  });
  it('broken: a target on another port says nothing about 8086', () => {
    expect(http.evaluate(ctx({ net: withLb(lbRoute({ target: { port: 8080, kind: 'instance' } })) }))[0]).toMatchObject({
      status: 'PASSED',
    });
  });
  it('broken: the instance’s groups do not admit the load balancer', () => {
    expect(http.evaluate(ctx({ net: withLb(lbRoute(), [open(SG, 'tcp', 8086, 'sg-elsewhere')]) }))[0]).toMatchObject({ status: 'PASSED' });
  });
  it('missing evidence: the load balancer’s groups could not be read → NOT_AVAILABLE, never PASSED', () => {
    const [o] = http.evaluate(ctx({ net: withLb(lbRoute({ admitted: fail('ec2:DescribeSecurityGroups failed: denied') })) }));
    expect(o).toMatchObject({ status: 'NOT_AVAILABLE' });
  });
  it('missing evidence: targets unreadable → NOT_AVAILABLE for an instance that admits the port from anything, PASSED for one that does not', () => {
    const unknown = [
      { lb: 'influx', reason: 'targets of target group influx: elasticloadbalancing:DescribeTargetHealth failed: AccessDenied' },
    ];
    const admits = net(fromLb, { loadBalancers: ok({ routes: [], unknown }) });
    const [o] = http.evaluate(ctx({ net: admits }));
    expect(o).toMatchObject({ status: 'NOT_AVAILABLE' });
    expect(o!.summary).toContain('DescribeTargetHealth');
    const closed = net([open(SG, 'tcp', 22, '10.0.0.0/8')], { loadBalancers: ok({ routes: [], unknown }) });
    expect(http.evaluate(ctx({ net: closed }))[0]).toMatchObject({ status: 'PASSED' });
  });
  it('net.unexpected-ports-open: ALB 443 → instance 9999 admitted from the ALB group is CRITICAL on the ALB', () => {
    const route = lbRoute({ target: { port: 9999, kind: 'instance', health: 'healthy' } });
    const outcomes = unexpectedPortsOpen.evaluate(ctx({ net: withLb(route, [open(SG, 'tcp', 9999, LB_SG)]) }));
    expect(outcomes).toContainEqual(
      expect.objectContaining({
        status: 'FAILED',
        severity: 'CRITICAL',
        resource: { type: 'AwsElbv2LoadBalancer', id: lbRoute().lb.id },
        details: expect.objectContaining({ ports: [9999], internetReachable: true }),
      }),
    );
    // An allowlisted port behind the load balancer is expected: no load-balancer finding.
    const allowed = unexpectedPortsOpen.evaluate(
      ctx({
        net: withLb(route, [open(SG, 'tcp', 9999, LB_SG)]),
        config: { allowedPorts: [parseAllowedPort(`9999@${LB_SG}`)] },
      }),
    );
    expect(allowed).toEqual([expect.objectContaining({ status: 'PASSED' })]);
  });
  it('an IP target matches an instance only in the target group’s VPC: the same private address elsewhere is another host', () => {
    const route = { ...lbRoute({ target: { port: 8086, kind: 'ip', address: '10.0.1.10' } }), targetId: '10.0.1.10', vpcId: 'vpc-a' };
    const inventory = { routes: ok(new Map()), acls: ok(new Map()), loadBalancers: ok({ routes: [route], unknown: [] }) };
    const routesFor = (vpcId?: string) => {
      const n = withPaths(ok(net(fromLb)), instance({ privateIps: ['10.0.1.10'], ...(vpcId ? { vpcId } : {}) }), inventory);
      return n.ok && n.value.loadBalancers?.ok ? n.value.loadBalancers.value.routes.length : -1;
    };
    expect(routesFor('vpc-a')).toBe(1);
    expect(routesFor('vpc-b')).toBe(0);
    expect(routesFor()).toBe(0);
  });
  it('a load-balancer path raises the endpoint checks; an unreadable hop makes that unknown, not false', () => {
    expect(internetExposed(ok(withLb()))).toEqual({ exposed: true });
    expect(internetExposed(ok(net(world, { publicIpv4: [IP] })))).toEqual({ exposed: true });
    expect(internetExposed(ok(net([open(SG, 'tcp', 8086, '::/0')], { publicIpv4: [IP] })))).toEqual({ exposed: false });
    const unknown = internetExposed(ok(net(world, { publicIpv4: [IP], interfaces: onPublicSubnet({ routes: fail('throttled') }) })));
    expect(unknown).toMatchObject({ exposed: false, unknown: expect.stringContaining('throttled') });
  });
});

describe('the table shows paths hop by hop', () => {
  it('the open path in the summary line, broken paths (latent) on their own lines with why they break', () => {
    const routes = ok(routeTable('rtb-0000000000000000c', { '0.0.0.0/0': 'nat-0000000000000000c' }, true));
    const latent = ctx({ net: net(world, { publicIpv4: [IP], interfaces: onPublicSubnet({ routes }) }) });
    const exposed = ctx({
      net: net(world, { publicIpv4: [IP], interfaces: onPublicSubnet() }),
      instance: { instanceId: 'i-0000000000000bbbb' },
    });
    const findings = [...evaluateInstance([http], latent), ...evaluateInstance([http], exposed)];
    const doc = {
      scanId: 's',
      startedAt: '',
      finishedAt: '',
      scope: { accounts: [], regions: [] },
      findings,
      summary: summarise(findings),
    };
    const text = renderTable(doc, { color: false, width: 400 }); // one line a path, to read them whole
    expect(text).toContain(`reachable from the internet: ${IP}`);
    expect(text).toContain('igw-0000000000000000a');
    expect(text).toMatch(
      /broken path: address 54\.1\.2\.3 \(eni-0000000000000000a\) ✗ route table rtb-0000000000000000c sends 0\.0\.0\.0\/0 to nat-/,
    );
  });
});

describe('what an ALB listener’s rules leave to a target group (forwardingOf)', () => {
  const TG = 'arn:tg/a';
  const OTHER = 'arn:tg/b';
  const forward = (...groups: [string, number?][]): Rule['Actions'] => [
    {
      Type: 'forward',
      ForwardConfig: {
        TargetGroups: groups.map(([TargetGroupArn, Weight]) => ({ TargetGroupArn, ...(Weight === undefined ? {} : { Weight }) })),
      },
    },
  ];
  const fixed: Rule['Actions'] = [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '403' } }];
  const rule = (priority: string, conditions: Rule['Conditions'], actions: Rule['Actions']): Rule => ({
    Priority: priority,
    IsDefault: false,
    Conditions: conditions,
    Actions: actions,
  });
  const byDefault = (actions: Rule['Actions']): Rule => ({ Priority: 'default', IsDefault: true, Conditions: [], Actions: actions });
  const path = (...values: string[]) => ({ Field: 'path-pattern', PathPatternConfig: { Values: values } });
  const sourceIp = (...values: string[]) => ({ Field: 'source-ip', SourceIpConfig: { Values: values } });

  it('the default action alone forwarding there: every source, nothing added (as before)', () => {
    expect(forwardingOf([byDefault(forward([TG]))], TG)).toEqual({});
    expect(forwardingOf([byDefault([{ Type: 'forward', TargetGroupArn: TG }])], TG)).toEqual({});
  });
  it('no action names the target group: no path', () => expect(forwardingOf([byDefault(forward([OTHER]))], TG)).toBeUndefined());
  it('weight 0 beside a weighted group sends nothing; all weights 0 is taken as forwarding (undocumented: never a pass on a guess)', () => {
    expect(forwardingOf([byDefault(forward([TG, 0], [OTHER, 1]))], TG)).toEqual({
      sources: [],
      unused: ['weight 0 in the default action'],
    });
    expect(forwardingOf([byDefault(forward([TG, 1], [OTHER, 0]))], TG)).toEqual({});
    expect(forwardingOf([byDefault(forward([TG, 0], [OTHER, 0]))], TG)).toEqual({});
  });
  it('weight 0 with target-group stickiness on: a client holding the group’s cookie is still sent there, so it is a path (no path on the old code)', () => {
    const sticky = (actions: Rule['Actions']): Rule['Actions'] =>
      actions!.map((a) => ({
        ...a,
        ForwardConfig: { ...a.ForwardConfig, TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 3600 } },
      }));
    expect(forwardingOf([byDefault(sticky(forward([TG, 0], [OTHER, 1])))], TG)).toEqual({});
    const shadowing = [rule('1', [path('*')], sticky(forward([OTHER, 1], [TG, 0]))), byDefault(fixed)];
    expect(forwardingOf(shadowing, TG)).toEqual({ rules: ['priority 1'] });
    // Stickiness off (or absent): weight 0 still sends nothing.
    const off = forward([TG, 0], [OTHER, 1])!.map((a) => ({
      ...a,
      ForwardConfig: { ...a.ForwardConfig, TargetGroupStickinessConfig: { Enabled: false } },
    }));
    expect(forwardingOf([byDefault(off)], TG)).toEqual({ sources: [], unused: ['weight 0 in the default action'] });
  });
  it('weight 0 in the default action but a rule forwards there: the rule is the path', () => {
    const rules = [rule('10', [path('/api/*')], forward([TG])), byDefault(forward([TG, 0], [OTHER, 5]))];
    expect(forwardingOf(rules, TG)).toEqual({ rules: ['priority 10'], unused: ['weight 0 in the default action'] });
  });
  it.each([['*'], ['/*'], ['/**']])('a rule whose path pattern is %s matches every request: the default action is never used', (v) => {
    const rules = [rule('1', [path('/x', v)], fixed), byDefault(forward([TG]))];
    expect(forwardingOf(rules, TG)).toEqual({
      sources: [],
      shadowed: [`rule priority 1 (path-pattern ${v}) answers every request first (fixed-response)`],
    });
  });
  it.each([
    ['a narrower path', [path('/api/*')]],
    [
      'a method condition (the client picks the method)',
      [{ Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'] } }],
    ],
    ['a host header, even *', [path('*'), { Field: 'host-header', HostHeaderConfig: { Values: ['*'] } }]],
    ['an HTTP header', [path('*'), { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-A', Values: ['*'] } }]],
    ['a query string', [path('*'), { Field: 'query-string', QueryStringConfig: { Values: [{ Value: '*' }] } }]],
    ['a regular expression', [{ Field: 'path-pattern', PathPatternConfig: { Values: ['*'], RegexValues: ['^/a'] } }]],
    ['no condition at all (not a rule AWS accepts)', []],
  ])('%s never shadows the rules after it', (_, conditions) => {
    expect(forwardingOf([rule('1', conditions as Rule['Conditions'], fixed), byDefault(forward([TG]))], TG)).toEqual({});
  });
  it('a match-all rule whose answer is not read (no action, or no terminal one) shadows nothing: never a closed listener on a guess (closed on the old code)', () => {
    for (const actions of [[], undefined, [{ Type: 'authenticate-oidc' }], [{ Type: 'x\u001b' }]] as Rule['Actions'][])
      expect(forwardingOf([rule('1', [path('*')], actions), byDefault(forward([TG]))], TG)).toEqual({});
    // An authentication before a terminal action still answers every request (the IdP's redirect, or the forward).
    const authenticated: Rule['Actions'] = [
      { Type: 'authenticate-cognito', Order: 1 },
      { Type: 'fixed-response', Order: 2 },
    ];
    expect(forwardingOf([rule('1', [path('*')], authenticated), byDefault(forward([TG]))], TG)).toMatchObject({ sources: [] });
  });
  it('priority order, not list order: a match-all rule after the forwarding rule shadows nothing of it', () => {
    const rules = [byDefault(fixed), rule('20', [path('*')], fixed), rule('10', [path('/api/*')], forward([TG]))];
    expect(forwardingOf(rules, TG)).toEqual({ rules: ['priority 10'] });
    const before = [byDefault(fixed), rule('10', [path('/api/*')], forward([TG])), rule('5', [path('*')], fixed)];
    expect(forwardingOf(before, TG)).toEqual({
      sources: [],
      shadowed: ['rule priority 5 (path-pattern *) answers every request first (fixed-response)'],
    });
  });
  it('a match-all rule forwarding there itself is the path, with every source', () => {
    expect(forwardingOf([rule('1', [path('/*')], forward([TG])), byDefault(forward([TG]))], TG)).toEqual({ rules: ['priority 1'] });
    expect(forwardingOf([rule('1', [path('/*')], forward([TG])), byDefault(forward([OTHER]))], OTHER)).toEqual({
      sources: [],
      shadowed: ['rule priority 1 (path-pattern /*) answers every request first (forward)'],
    });
  });
  it('a source-ip rule matching every request from its sources shadows only them', () => {
    const rules = [rule('1', [sourceIp('0.0.0.0/1')], fixed), byDefault(forward([TG]))];
    expect(forwardingOf(rules, TG)).toEqual({
      sources: ['128.0.0.0/1', '::/0'],
      shadowed: ['rule priority 1 (source-ip only) answers every request from 0.0.0.0/1 first (fixed-response)'],
    });
  });
  it('a source-ip forward after a match-all rule for other sources keeps its own sources', () => {
    const rules = [
      rule('1', [sourceIp('10.0.0.0/8')], fixed),
      rule('2', [path('/a'), sourceIp('52.94.76.0/24')], forward([TG])),
      byDefault(fixed),
    ];
    expect(forwardingOf(rules, TG)).toEqual({ rules: ['priority 2'], sources: ['52.94.76.0/24'] });
  });
  it('a rule with an unparsable priority has no known place: it forwards from its own sources and shadows nothing', () => {
    expect(forwardingOf([rule('x', [path('*')], fixed), byDefault(forward([TG]))], TG)).toEqual({});
    expect(forwardingOf([rule('1', [path('*')], fixed), rule('x', [path('/a')], forward([TG])), byDefault(fixed)], TG)).toEqual({
      rules: ['priority ?'],
    });
  });
});
