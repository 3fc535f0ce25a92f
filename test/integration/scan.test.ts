/**
 * Discovery + checks against the moto server: an estate with every rule shape
 * (CIDRs v4/v6, ranges, all-traffic, prefix lists, SG references, several
 * interfaces, stopped instances, Enterprise roles) and exactly the expected findings.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { parseAllowedPort, parseConfig } from '../../lib/config.js';
import type { Finding, ScanDocument } from '../../lib/model.js';
import { scan } from '../../lib/scan.js';
import { seedEstate, type SeededEstate } from '../../scripts/estate.js';
import { testAccount, type TestAccount } from '../support/aws.js';

const R1 = 'eu-west-1';
const R2 = 'us-east-2';

let account: TestAccount;
let estate: SeededEstate;
let other: SeededEstate;
let doc: ScanDocument;

beforeAll(async () => {
  account = await testAccount();
  estate = await seedEstate(account.seeder(R1), {
    region: R1,
    ebsDefaultEncryption: false,
    prefixLists: [
      { name: 'world', cidrs: ['0.0.0.0/0'] },
      { name: 'office', cidrs: ['203.0.113.0/24', '198.51.100.7/32'] },
    ],
    groups: [
      { name: 'influx-public', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] },
      { name: 'v6-range', rules: [{ ports: [8000, 9000], ipv6: ['::/0'] }] },
      { name: 'all-world', rules: [{ protocol: '-1', cidrs: ['0.0.0.0/0'] }] },
      { name: 'rpc-wide', rules: [{ ports: 8088, cidrs: ['10.0.0.0/16'] }] },
      { name: 'rpc-host', rules: [{ ports: 8088, cidrs: ['10.0.5.5/32'] }] },
      { name: 'pl-world', rules: [{ ports: 8086, prefixLists: ['world'] }] },
      { name: 'pl-office', rules: [{ ports: 8086, prefixLists: ['office'] }] },
      { name: 'bastion', rules: [] },
      {
        name: 'ssh-from-bastion',
        rules: [
          { ports: 22, groups: ['bastion'] },
          { protocol: 'icmp', cidrs: ['10.0.0.0/8'] },
        ],
      },
      {
        name: 'cluster',
        rules: [
          { ports: [8088, 8089], groups: ['self'] },
          { ports: 8091, groups: ['self'] },
          { ports: 8086, cidrs: ['10.0.0.0/16'] },
        ],
      },
      { name: 'meta-wide', rules: [{ ports: 8091, cidrs: ['10.0.0.0/16'] }] },
      { name: 'good', rules: [{ ports: 8086, cidrs: ['10.0.0.0/16'] }] },
    ],
    instances: [
      { name: 'public', tags: { influxdb: '' }, groups: ['influx-public'], publicIp: true },
      { name: 'pl-world', tags: { influxdb: '' }, groups: ['pl-world'] },
      { name: 'office', tags: { influxdb: '' }, groups: ['pl-office', 'ssh-from-bastion'] },
      { name: 'rpc-wide', tags: { Service: 'influxdb' }, groups: ['good', 'rpc-wide'] },
      { name: 'backup-ok', tags: { influxdb: 'prod' }, groups: ['good', 'rpc-host'] },
      { name: 'stopped-all', tags: { influxdb: '' }, groups: ['all-world'], stopped: true },
      { name: 'two-enis', tags: { influxdb: '' }, groups: ['good'], secondInterfaceGroups: ['v6-range'] },
      { name: 'meta', tags: { influxdb: '', 'influxdb:role': 'meta' }, groups: ['cluster', 'meta-wide'] },
      {
        name: 'data',
        tags: { influxdb: '', 'influxdb:role': 'data' },
        groups: ['cluster'],
        volumes: [{ device: '/dev/sdf', sizeGiB: 200, encrypted: false }],
      },
      { name: 'not-influx', tags: { Service: 'grafana' }, groups: ['influx-public'], publicIp: true },
    ],
  });
  other = await seedEstate(account.seeder(R2), {
    region: R2,
    ebsDefaultEncryption: true,
    groups: [{ name: 'good', rules: [{ ports: 8086, cidrs: ['10.0.0.0/16'] }] }],
    instances: [{ name: 'east', tags: { influxdb: '' }, groups: ['good'] }],
  });
  const config = parseConfig({
    probe: { enabled: false, allowedCidrs: ['127.0.0.0/8'] },
    regions: [R1, R2],
    allowedPorts: [parseAllowedPort(`22@${estate.groups.bastion}`)],
  });
  const { clients } = account.clients(config);
  ({ document: doc } = await scan(config, { clients, homeRegion: R1 }));
});

const id = (name: string, e = estate) => e.instances[name]![0]!;
const failed = () => doc.findings.filter((f) => f.status === 'FAILED');
const brief = (f: Finding) => `${f.checkId} ${f.instanceId ?? '-'} ${f.resource.type}:${f.resource.id} ${f.severity}`;

describe('a scan of a seeded estate', () => {
  it('reports exactly the expected failures, on the right resources', () => {
    const g = estate.groups;
    const expected = [
      `net.http-port-public ${id('public')} AwsEc2SecurityGroup:${g['influx-public']} CRITICAL`,
      `net.http-port-public ${id('pl-world')} AwsEc2SecurityGroup:${g['pl-world']} HIGH`,
      `net.rpc-port-exposed ${id('rpc-wide')} AwsEc2SecurityGroup:${g['rpc-wide']} HIGH`,
      `net.http-port-public ${id('stopped-all')} AwsEc2SecurityGroup:${g['all-world']} HIGH`,
      `net.rpc-port-exposed ${id('stopped-all')} AwsEc2SecurityGroup:${g['all-world']} CRITICAL`,
      `net.unexpected-ports-open ${id('stopped-all')} AwsEc2SecurityGroup:${g['all-world']} HIGH`,
      `net.http-port-public ${id('two-enis')} AwsEc2SecurityGroup:${g['v6-range']} HIGH`,
      `net.rpc-port-exposed ${id('two-enis')} AwsEc2SecurityGroup:${g['v6-range']} CRITICAL`,
      `net.unexpected-ports-open ${id('two-enis')} AwsEc2SecurityGroup:${g['v6-range']} HIGH`,
      `net.cluster-ports-exposed ${id('meta')} AwsEc2SecurityGroup:${g['meta-wide']} HIGH`,
      `net.rpc-port-exposed ${id('meta')} AwsEc2SecurityGroup:${g.cluster} HIGH`,
      `ebs.volume-unencrypted ${id('data')} AwsEc2Volume:${doc.findings.find((f) => f.checkId === 'ebs.volume-unencrypted' && f.status === 'FAILED')?.resource.id} HIGH`,
      `ebs.default-encryption-disabled - AwsAccount:${account.accountId} MEDIUM`,
    ];
    expect(failed().map(brief).sort()).toEqual(expected.sort());
  });

  it('selects by tag key or Service=influxdb, never other instances; stopped ones included', () => {
    const scanned = new Set(doc.findings.map((f) => f.instanceId).filter(Boolean));
    expect(scanned.has(id('not-influx'))).toBe(false);
    expect(scanned.has(id('rpc-wide'))).toBe(true);
    expect(scanned.has(id('stopped-all'))).toBe(true);
    expect(scanned.size).toBe(10); // nine in R1, one in R2
  });

  it('passes the well-configured instances, and the other region with default encryption on', () => {
    for (const name of ['office', 'backup-ok', 'data']) {
      const own = doc.findings.filter((f) => f.instanceId === id(name) && f.checkId.startsWith('net.'));
      expect(own.every((f) => f.status === 'PASSED')).toBe(true);
    }
    const east = doc.findings.filter((f) => f.region === R2);
    expect(east.every((f) => f.status === 'PASSED')).toBe(true);
    expect(east.find((f) => f.checkId === 'ebs.default-encryption-disabled')).toMatchObject({
      status: 'PASSED',
      accountId: account.accountId,
    });
    expect(id('east', other)).toMatch(/^i-/);
  });

  it('follows the output contract: scope, summary, per-finding fields', () => {
    expect(doc.scope).toEqual({ accounts: [account.accountId], regions: [R1, R2] });
    expect(doc.summary.FAILED).toBe(failed().length);
    // Only `public` has a complete path from the internet; the other world-open rules are latent (no public address),
    // except 8088's, whose base severity for the world is CRITICAL (stopped-all, two-enis).
    expect(doc.summary.bySeverity.CRITICAL).toBe(3);
    expect(Date.parse(doc.finishedAt)).toBeGreaterThanOrEqual(Date.parse(doc.startedAt));
    for (const f of doc.findings) {
      expect(f.accountId).toBe(account.accountId);
      if (f.resource.type !== 'AwsAccount') expect(f.instanceId).toMatch(/^i-/);
      expect(f.remediation.url).toMatch(/^https:/);
      expect(typeof f.evidence.summary).toBe('string');
    }
  });

  it('explains world exposure through a prefix list by naming it', () => {
    const f = failed().find((x) => x.instanceId === id('pl-world'))!;
    expect(JSON.stringify(f.evidence)).toContain(estate.prefixLists.world);
  });
});

describe('probing emulated instances', () => {
  it('never targets their made-up addresses: against a loopback AWS endpoint only configured loopback CIDRs stay allowed', async () => {
    const { probeCidrs } = await import('../../lib/evidence/probe/gather.js');
    const defaults = parseConfig({}).probe.allowedCidrs;
    expect(probeCidrs(defaults, { AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' })).toEqual([]); // no hidden loopback exception
    expect(probeCidrs([...defaults, '127.0.0.0/8', '::1/128'], { AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' })).toEqual([
      '127.0.0.0/8',
      '::1/128',
    ]);
    expect(probeCidrs(['10.0.0.0/8', '127.0.0.0/8'], { AWS_ENDPOINT_URL_EC2: 'http://localhost:4566' })).toEqual(['127.0.0.0/8']);
    expect(probeCidrs(defaults, {})).toEqual(defaults);
    expect(probeCidrs(defaults, { AWS_ENDPOINT_URL: 'https://ec2.eu-west-1.amazonaws.com' })).toEqual(defaults);
  });
  it('a default scan of the emulated estate reports their endpoints NOT_AVAILABLE and contacts nothing', async () => {
    const config = parseConfig({ regions: [R2] }); // default probe settings: private ranges allowed
    const { clients } = account.clients(config);
    const { document } = await scan(config, { clients, homeRegion: R1 });
    const probe = document.findings.filter((f) => f.checkId === 'auth.disabled');
    expect(probe).toHaveLength(1);
    expect(probe[0]).toMatchObject({ status: 'NOT_AVAILABLE' });
    expect(String(probe[0]!.evidence.reason)).toMatch(/outside the allowed target CIDRs \(none\)/); // defaults list no loopback
  });
});
