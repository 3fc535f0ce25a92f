import { describe, expect, it } from '@jest/globals';
import { portExposureChecks, unexpectedPortsOpen, judgedTcpPorts, unexpectedPorts } from '../../lib/checks/net.js';
import { parseAllowedPort } from '../../lib/config.js';
import type { InstanceCheck } from '../../lib/model.js';
import { fail } from '../../lib/model.js';
import { evaluateInstance } from '../../lib/evaluate.js';
import { ctx, net, open } from '../support/fixtures.js';

const check = (id: string): InstanceCheck => [...portExposureChecks, unexpectedPortsOpen].find((c) => c.id === id)!;
const SG = 'sg-0000000000000000a';
const SG2 = 'sg-0000000000000000b';
const CLUSTER_SG = 'sg-00000000000000c1a';

describe('net.http-port-public', () => {
  const c = check('net.http-port-public');
  it('passes when 8086 is open only inside the VPC', () => {
    const [o] = c.evaluate(ctx({ net: net([open(SG, 'tcp', 8086, '10.0.0.0/16')]) }));
    expect(o).toMatchObject({ status: 'PASSED' });
  });
  it('fails HIGH for 0.0.0.0/0 on a private instance, on the group resource', () => {
    const [o, ...rest] = c.evaluate(ctx({ net: net([open(SG, 'tcp', 8086, '0.0.0.0/0')]) }));
    expect(rest).toHaveLength(0);
    expect(o).toMatchObject({ status: 'FAILED', severity: 'HIGH', resource: { type: 'AwsEc2SecurityGroup', id: SG } });
    expect(o!.details).toMatchObject({ ports: [8086], internetReachable: false });
  });
  it('fails CRITICAL for 0.0.0.0/0 with a public IPv4 address', () => {
    const [o] = c.evaluate(ctx({ net: net([open(SG, 'tcp', 8086, '0.0.0.0/0')], { publicIpv4: ['54.1.2.3'] }) }));
    expect(o).toMatchObject({ status: 'FAILED', severity: 'CRITICAL' });
    expect(o!.details).toMatchObject({ internetReachable: true, publicIps: ['54.1.2.3'] });
  });
  it('::/0 is world-open for IPv6 only: latent (HIGH) with only a public IPv4 address, CRITICAL with a global IPv6 address', () => {
    const rules = [open(SG, 'tcp', 8086, '::/0')];
    const [v4only] = c.evaluate(ctx({ net: net(rules, { publicIpv4: ['54.1.2.3'] }) }));
    expect(v4only).toMatchObject({ status: 'FAILED', severity: 'HIGH', details: { internetReachable: false } });
    expect(v4only!.summary).toContain('latent');
    expect(c.evaluate(ctx({ net: net(rules, { publicIpv6: ['2a05:d018::1'] }) }))[0]).toMatchObject({ severity: 'CRITICAL' });
    expect(c.evaluate(ctx({ net: net(rules) }))[0]).toMatchObject({ severity: 'HIGH' });
  });
  it('a source set that covers the internet without a /0 is the world (CHECKS.md): halves, v6 halves, a wider rule of the same group', () => {
    const halves = [open(SG, 'tcp', 8086, '0.0.0.0/1'), open(SG, 'tcp', 8086, '128.0.0.0/1')];
    expect(c.evaluate(ctx({ net: net(halves, { publicIpv4: ['54.1.2.3'] }) }))[0]).toMatchObject({
      status: 'FAILED',
      severity: 'CRITICAL',
    });
    const v6 = [open(SG, 'tcp', 8086, '::/1'), open(SG, 'tcp', 8086, '8000::/1')];
    expect(c.evaluate(ctx({ net: net(v6) }))[0]).toMatchObject({ status: 'FAILED', severity: 'HIGH' });
    // One half from a port range, the other from an all-traffic rule of the same group.
    const mixed = [open(SG, 'tcp', [8000, 9000], '0.0.0.0/1'), open(SG, 'all', [0, 65535], '128.0.0.0/1')];
    expect(c.evaluate(ctx({ net: net(mixed) }))[0]).toMatchObject({ status: 'FAILED' });
    // The internet's public space is covered even when private ranges are left out.
    const gaps = ['0.0.0.0/5', '8.0.0.0/7', '11.0.0.0/8', '12.0.0.0/6', '16.0.0.0/4', '32.0.0.0/3', '64.0.0.0/2', '128.0.0.0/1'].map((x) =>
      open(SG, 'tcp', 8086, x),
    );
    expect(c.evaluate(ctx({ net: net(gaps) }))[0]).toMatchObject({ status: 'FAILED' });
  });
  it('halves in two different groups: 0.0.0.0/1 alone is the world (56 % of public IPv4), 128.0.0.0/1 alone is not (44 %)', () => {
    // Changed with the contract's measure ("at least half"): the group holding 0.0.0.0/1 alone used to PASS.
    const outcomes = c.evaluate(ctx({ net: net([open(SG, 'tcp', 8086, '0.0.0.0/1'), open(SG2, 'tcp', 8086, '128.0.0.0/1')]) }));
    expect(outcomes.map((o) => [o.status, o.resource?.id])).toEqual([['FAILED', SG]]);
    expect(c.evaluate(ctx({ net: net([open(SG, 'tcp', 8086, '128.0.0.0/1')]) }))[0]).toMatchObject({ status: 'PASSED' });
  });
  it('issue 35: an unaligned split whose union is 0.0.0.0/0 is the world (merged before it is measured); a private range beside it is not world-open', () => {
    const pieces = ['0.0.0.0/3', '32.0.0.0/4', '48.0.0.0/4', '64.0.0.0/2', '128.0.0.0/1'];
    const split = pieces.map((x) => open(SG, 'tcp', 8086, x));
    const [o] = c.evaluate(ctx({ net: net([...split, open(SG, 'tcp', 8086, '10.0.0.0/8')]) }));
    expect(o).toMatchObject({ status: 'FAILED', resource: { id: SG } });
    const rules = o!.details!.rules as { source: string; coversInternet?: true }[];
    expect(rules.filter((r) => r.coversInternet).map((r) => r.source)).toEqual(split.map((s) => s.source));
    expect(rules.find((r) => r.source === '10.0.0.0/8')?.coversInternet).toBeUndefined();
    // Without the 128.0.0.0/1 piece the rest holds less than half: not the world.
    const rest = pieces.slice(1, 4).map((x) => open(SG, 'tcp', 8086, x));
    expect(c.evaluate(ctx({ net: net(rest) }))[0]).toMatchObject({ status: 'PASSED' });
  });
  it('catches port ranges and all-traffic rules', () => {
    for (const o of [open(SG, 'tcp', [8000, 9000], '0.0.0.0/0'), open(SG, 'all', [0, 65535], '0.0.0.0/0')]) {
      expect(c.evaluate(ctx({ net: net([o]) }))[0]).toMatchObject({ status: 'FAILED' });
    }
  });
  it('ignores UDP 8086 and ranges that stop short of 8086', () => {
    const rules = [open(SG, 'udp', 8086, '0.0.0.0/0'), open(SG, 'tcp', [8000, 8085], '0.0.0.0/0')];
    expect(c.evaluate(ctx({ net: net(rules) }))[0]).toMatchObject({ status: 'PASSED' });
  });
  it('fails through a prefix list that contains a world CIDR, naming the list', () => {
    const [o] = c.evaluate(ctx({ net: net([open(SG, 'tcp', 8086, '0.0.0.0/0', 'pl-0123456789abcdef0')]) }));
    expect(o).toMatchObject({ status: 'FAILED' });
    expect(JSON.stringify(o!.details)).toContain('pl-0123456789abcdef0');
  });
  it('is NOT_AVAILABLE for a group whose prefix list could not be read, and never PASSED', () => {
    const outcomes = c.evaluate(
      ctx({ net: net([open(SG, 'tcp', 8086, { unresolved: 'ec2:GetManagedPrefixListEntries failed: AccessDenied' })]) }),
    );
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ status: 'NOT_AVAILABLE', resource: { id: SG } });
    expect(outcomes[0]!.summary).toContain('AccessDenied');
  });
  it('reports one finding per offending group', () => {
    const outcomes = c.evaluate(
      ctx({ net: net([open(SG, 'tcp', 8086, '0.0.0.0/0'), open(SG2, 'tcp', 8086, '::/0'), open(SG2, 'tcp', 22, '0.0.0.0/0')]) }),
    );
    expect(outcomes.map((o) => o.resource?.id).sort()).toEqual([SG, SG2]);
  });
});

describe('net.rpc-port-exposed', () => {
  const c = check('net.rpc-port-exposed');
  it('passes when 8088 is closed', () => expect(c.evaluate(ctx())[0]).toMatchObject({ status: 'PASSED' }));
  it('passes for a single backup host (/32 and /128)', () => {
    const rules = [open(SG, 'tcp', 8088, '10.0.5.5/32'), open(SG, 'tcp', 8088, '2001:db8::5/128')];
    expect(c.evaluate(ctx({ net: net(rules) }))[0]).toMatchObject({ status: 'PASSED' });
  });
  it('fails HIGH for a /16', () => {
    expect(c.evaluate(ctx({ net: net([open(SG, 'tcp', 8088, '10.0.0.0/16')]) }))[0]).toMatchObject({ status: 'FAILED', severity: 'HIGH' });
  });
  it('fails CRITICAL for the world (its base severity in CHECKS.md: "world: CRITICAL"), latent or reachable; HIGH for a wide CIDR', () => {
    const rules = [open(SG, 'tcp', [8080, 8090], '0.0.0.0/0')];
    expect(c.evaluate(ctx({ net: net(rules) }))[0]).toMatchObject({ status: 'FAILED', severity: 'CRITICAL' });
    expect(c.evaluate(ctx({ net: net(rules) }))[0]!.summary).toMatch(/latent/);
    expect(c.evaluate(ctx({ net: net([open(SG, 'tcp', 8088, '10.0.0.0/8')]) }))[0]).toMatchObject({ status: 'FAILED', severity: 'HIGH' });
    expect(c.evaluate(ctx({ net: net(rules, { publicIpv4: ['54.1.2.3'] }) }))[0]).toMatchObject({ status: 'FAILED', severity: 'CRITICAL' });
  });
  it('fails for a group reference on an OSS node', () => {
    expect(c.evaluate(ctx({ net: net([open(SG, 'tcp', 8088, CLUSTER_SG)]) }))[0]).toMatchObject({ status: 'FAILED' });
  });
  it('allows the cluster’s own groups and CIDRs on an Enterprise data node', () => {
    const n = net([open(SG, 'tcp', 8088, CLUSTER_SG), open(SG, 'tcp', 8088, '10.0.0.0/24')], {
      clusterGroupIds: [CLUSTER_SG],
      clusterCidrs: ['10.0.0.0/16'],
    });
    expect(c.evaluate(ctx({ instance: { role: 'data' }, net: n }))[0]).toMatchObject({ status: 'PASSED' });
  });
  it('still fails a foreign group on a data node', () => {
    const n = net([open(SG, 'tcp', 8088, 'sg-00000000000000f0e')], { clusterGroupIds: [CLUSTER_SG] });
    expect(c.evaluate(ctx({ instance: { role: 'data' }, net: n }))[0]).toMatchObject({ status: 'FAILED' });
  });
  it('is NOT_AVAILABLE when the source could not be read', () => {
    expect(c.evaluate(ctx({ net: net([open(SG, 'tcp', 8088, { unresolved: 'x' })]) }))[0]).toMatchObject({ status: 'NOT_AVAILABLE' });
  });
});

describe('net.cluster-ports-exposed', () => {
  const c = check('net.cluster-ports-exposed');
  it('does not apply to OSS nodes', () => {
    expect(c.appliesTo!(ctx())).toBe(false);
    expect(c.appliesTo!(ctx({ instance: { role: 'meta' } }))).toBe(true);
  });
  it('passes when 8088/8089/8091 are open only to cluster groups, cluster CIDRs or a cluster node /32', () => {
    const n = net(
      [open(SG, 'tcp', [8088, 8091], CLUSTER_SG), open(SG, 'tcp', 8091, '10.9.0.0/24'), open(SG, 'tcp', 8089, '10.0.1.11/32')],
      { clusterGroupIds: [CLUSTER_SG], clusterCidrs: ['10.9.0.0/16'], clusterHostIps: ['10.0.1.11'] },
    );
    expect(c.evaluate(ctx({ instance: { role: 'meta' }, net: n }))[0]).toMatchObject({ status: 'PASSED' });
  });
  it('fails for 8091 open to a VPC-wide CIDR on a meta node, naming the port', () => {
    const [o] = c.evaluate(ctx({ instance: { role: 'meta' }, net: net([open(SG, 'tcp', 8091, '10.0.0.0/16')]) }));
    expect(o).toMatchObject({ status: 'FAILED', severity: 'HIGH' });
    expect(o!.details).toMatchObject({ ports: [8091] });
  });
  it('fails for a /32 that is not a cluster node', () => {
    const n = net([open(SG, 'tcp', 8089, '10.0.7.7/32')], { clusterHostIps: ['10.0.1.11'] });
    expect(c.evaluate(ctx({ instance: { role: 'data' }, net: n }))[0]).toMatchObject({ status: 'FAILED' });
  });
  it('is NOT_AVAILABLE when the source could not be read', () => {
    expect(c.evaluate(ctx({ instance: { role: 'data' }, net: net([open(SG, 'tcp', 8089, { unresolved: 'x' })]) }))[0]).toMatchObject({
      status: 'NOT_AVAILABLE',
    });
  });
});

describe('net.unexpected-ports-open', () => {
  const c = unexpectedPortsOpen;
  it('passes when only 8086 and 8088 are open on OSS', () => {
    const rules = [open(SG, 'tcp', 8086, '0.0.0.0/0'), open(SG, 'tcp', 8088, '10.0.0.0/16'), open(SG, 'icmp', [0, 65535], '0.0.0.0/0')];
    expect(c.evaluate(ctx({ net: net(rules) }))[0]).toMatchObject({ status: 'PASSED' });
  });
  it('fails MEDIUM for SSH from a private range, HIGH from the world', () => {
    expect(c.evaluate(ctx({ net: net([open(SG, 'tcp', 22, '10.0.0.0/8')]) }))[0]).toMatchObject({ status: 'FAILED', severity: 'MEDIUM' });
    expect(c.evaluate(ctx({ net: net([open(SG, 'tcp', 22, '0.0.0.0/0')]) }))[0]).toMatchObject({ status: 'FAILED', severity: 'HIGH' });
  });
  it('reports what a range opens beyond the judged ports', () => {
    const [o] = c.evaluate(ctx({ net: net([open(SG, 'tcp', [8086, 8089], '10.0.0.0/8')]) }));
    expect(o!.summary).toContain('TCP 8087,8089');
  });
  it('treats 8089/8091 as judged on Enterprise nodes but unexpected on OSS (UDP input, stray meta ports)', () => {
    const rules = [open(SG, 'tcp', 8089, '10.0.0.0/16'), open(SG, 'tcp', 8091, '10.0.0.0/16')];
    expect(c.evaluate(ctx({ instance: { role: 'meta' }, net: net(rules) }))[0]).toMatchObject({ status: 'PASSED' });
    expect(c.evaluate(ctx({ net: net(rules) }))[0]).toMatchObject({ status: 'FAILED' });
  });
  it('fails an all-traffic rule, even from a group', () => {
    const [o] = c.evaluate(ctx({ net: net([open(SG, 'all', [0, 65535], SG2)]) }));
    expect(o).toMatchObject({ status: 'FAILED', severity: 'MEDIUM' });
    expect(o!.summary).toContain('UDP 0-65535');
  });
  it('honours the operator allowlist by port, protocol and source', () => {
    const config = { allowedPorts: [parseAllowedPort(`22@${SG2}`), parseAllowedPort('9273/tcp@10.0.0.0/8'), parseAllowedPort('161/udp')] };
    const allowed = [open(SG, 'tcp', 22, SG2), open(SG, 'tcp', 9273, '10.1.0.0/16'), open(SG, 'udp', 161, '0.0.0.0/0')];
    expect(c.evaluate(ctx({ net: net(allowed), config }))[0]).toMatchObject({ status: 'PASSED' });
    const notAllowed = [open(SG, 'tcp', 22, '10.0.0.0/8'), open(SG, 'tcp', 9273, '0.0.0.0/0'), open(SG, 'tcp', 161, '0.0.0.0/0')];
    const [o] = c.evaluate(ctx({ net: net(notAllowed), config }));
    expect(o).toMatchObject({ status: 'FAILED', severity: 'HIGH' });
    expect((o!.details!.rules as unknown[]).length).toBe(3);
  });
  it('matches allowlisted prefix lists by id, even when the list could not be read', () => {
    const config = { allowedPorts: [parseAllowedPort('443@pl-0123456789abcdef0')] };
    const rules = [open(SG, 'tcp', 443, { unresolved: 'AccessDenied' }, 'pl-0123456789abcdef0')];
    expect(c.evaluate(ctx({ net: net(rules), config }))[0]).toMatchObject({ status: 'PASSED' });
  });
  it('is NOT_AVAILABLE when only an unreadable source could match a CIDR allowlist entry', () => {
    const config = { allowedPorts: [parseAllowedPort('443@10.0.0.0/8')] };
    const rules = [open(SG, 'tcp', 443, { unresolved: 'AccessDenied' })];
    expect(c.evaluate(ctx({ net: net(rules), config }))[0]).toMatchObject({ status: 'NOT_AVAILABLE' });
  });
  it('fails an unreadable source that opens unexpected ports regardless of source', () => {
    expect(c.evaluate(ctx({ net: net([open(SG, 'tcp', 22, { unresolved: 'x' })]) }))[0]).toMatchObject({ status: 'FAILED' });
  });
  it('judged ports come from the port table', () => {
    // AWS evidence alone does not tell the major version: 8086 and InfluxDB 3's 8181 are both the HTTP API (CHECKS.md).
    expect(judgedTcpPorts(ctx().instance)).toEqual([8086, 8181, 8088]);
    expect(judgedTcpPorts(ctx({ instance: { role: 'data' } }).instance)).toEqual([8086, 8181, 8088, 8089, 8091]);
    expect(unexpectedPorts(open(SG, 'udp', 8086, '0.0.0.0/0'), [8086], []).ranges).toEqual([{ protocol: 'udp', ranges: [[8086, 8086]] }]);
  });
});

describe('port checks through the engine', () => {
  it('become NOT_AVAILABLE with the reason when security groups could not be read', () => {
    const c = ctx();
    c.evidence.network = fail('ec2:DescribeSecurityGroups failed: UnauthorizedOperation: denied');
    const findings = evaluateInstance([...portExposureChecks, unexpectedPortsOpen], c);
    expect(findings.map((f) => f.checkId)).toEqual(['net.http-port-public', 'net.rpc-port-exposed', 'net.unexpected-ports-open']);
    for (const f of findings) {
      expect(f).toMatchObject({ status: 'NOT_AVAILABLE', severity: 'INFORMATIONAL', resource: { type: 'AwsEc2Instance' } });
      expect(f.evidence.reason).toContain('UnauthorizedOperation');
    }
  });
});
