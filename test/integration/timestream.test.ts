/**
 * Amazon Timestream for InfluxDB against the moto server: DB instances and a
 * cluster beside EC2 instances, default and custom parameter groups, a port
 * other than 8086, a tag selector, a failing list call, and publishing to
 * Security Hub (stable ids; a deleted DB archived only after a complete listing).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteDbInstanceCommand, TimestreamInfluxDBClient } from '@aws-sdk/client-timestream-influxdb';
import { EnableSecurityHubCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import type { Clients } from '../../lib/aws/clients.js';
import { parseConfig, type Config } from '../../lib/config.js';
import type { ProbeTarget } from '../../lib/evidence/probe/target.js';
import { fail, type Finding, type ProbeEvidence, type Result, type ScanResult } from '../../lib/model.js';
import { findingId, toAsff } from '../../lib/findings/asff.js';
import { publishScope } from '../../lib/publish/index.js';
import { scan } from '../../lib/scan.js';
import { seedEstate, type SeededEstate } from '../../scripts/estate.js';
import { startFaultProxy } from '../../scripts/fault-proxy.js';
import { runCli } from '../support/cli.js';
import { denyOperation, endpoint, testAccount, type TestAccount } from '../support/aws.js';
import { allFindings, scanAndPublish } from '../support/publish.js';

const R = 'eu-west-1';
let account: TestAccount;
let estate: SeededEstate;
let result: ScanResult;

const baseConfig = (over: Record<string, unknown> = {}): Config =>
  parseConfig({ regions: [R], probe: { enabled: false, allowedCidrs: ['127.0.0.0/8'] }, ...over });

/** Clients whose Timestream calls of one operation fail (as a denied or broken API would). */
function failing(clients: Clients, operation: string): Clients {
  denyOperation(clients.timestream(R), operation);
  return clients;
}

beforeAll(async () => {
  account = await testAccount();
  estate = await seedEstate(account.seeder(R), {
    region: R,
    ebsDefaultEncryption: true,
    groups: [
      { name: 'world-8086', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] },
      { name: 'world-9999', rules: [{ ports: 9999, ipv6: ['::/0'] }] },
      { name: 'office-8086', rules: [{ ports: 8086, cidrs: ['203.0.113.0/24'] }] },
      { name: 'vpc-8086', rules: [{ ports: 8086, cidrs: ['10.0.0.0/16'] }] },
    ],
    instances: [{ name: 'ec2-influx', tags: { influxdb: '' }, groups: ['vpc-8086'] }],
    parameterGroups: [
      { name: 'hardened', pprofDisabled: true, metricsDisabled: true },
      { name: 'half', pprofDisabled: true },
    ],
    timestream: [
      { name: 'ts-public', groups: ['world-8086'], publiclyAccessible: true },
      { name: 'ts-restricted', groups: ['office-8086'], publiclyAccessible: true, parameterGroup: 'hardened', logBucket: 'influx-logs' },
      {
        name: 'ts-port',
        groups: ['world-9999'],
        publiclyAccessible: true,
        port: 9999,
        parameterGroup: 'hardened',
        logBucket: 'influx-logs',
      },
      {
        name: 'ts-port-mismatch',
        groups: ['world-8086'],
        publiclyAccessible: true,
        port: 9999,
        parameterGroup: 'hardened',
        logBucket: 'influx-logs',
      },
      { name: 'ts-private', groups: ['world-8086'], parameterGroup: 'half', logBucket: 'influx-logs', tags: { influxdb: 'prod' } },
      { name: 'ts-cluster', kind: 'cluster', groups: ['vpc-8086'], parameterGroup: 'hardened', logBucket: 'influx-logs' },
    ],
  });
  const config = baseConfig();
  result = await scan(config, { clients: account.clients(config).clients, homeRegion: R });
});

const ts = (name: string) => estate.timestream[name]!;
const of = (doc: { findings: Finding[] }, name: string, check: string) =>
  doc.findings.filter((f) => f.instanceId === ts(name) && f.checkId === `timestream.${check}`);
const verdict = (doc: { findings: Finding[] }, name: string, check: string) =>
  of(doc, name, check)
    .map((f) => `${f.status} ${f.severity}`)
    .join(',');

describe('Timestream for InfluxDB in a scan', () => {
  it('discovers every DB instance and the cluster (no tag needed) beside the EC2 instance', () => {
    expect(result.databases.map((d) => `${d.kind} ${d.name}`).sort()).toEqual(
      [
        'cluster ts-cluster',
        'instance ts-port',
        'instance ts-port-mismatch',
        'instance ts-private',
        'instance ts-public',
        'instance ts-restricted',
      ].sort(),
    );
    expect(result.instances.map((i) => i.instanceId)).toEqual(estate.instances['ec2-influx']);
    const cov = result.coverage[0]!;
    expect(cov.timestreamListed).toBe(true);
    expect(cov.instanceIds.sort()).toEqual([...estate.instances['ec2-influx']!, ...Object.values(estate.timestream)].sort());
    expect(result.incomplete).toEqual([]);
  });

  it('timestream.publicly-accessible: CRITICAL when the groups admit its port from the world, MEDIUM when restricted, on its own port', () => {
    const doc = result.document;
    expect(verdict(doc, 'ts-public', 'publicly-accessible')).toBe('FAILED CRITICAL');
    expect(verdict(doc, 'ts-restricted', 'publicly-accessible')).toBe('FAILED MEDIUM');
    expect(verdict(doc, 'ts-port', 'publicly-accessible')).toBe('FAILED CRITICAL'); // 9999 from ::/0
    expect(verdict(doc, 'ts-port-mismatch', 'publicly-accessible')).toBe('FAILED MEDIUM'); // 8086 world-open, but it listens on 9999
    expect(verdict(doc, 'ts-private', 'publicly-accessible')).toBe('PASSED INFORMATIONAL'); // world-open group, but not public
    expect(verdict(doc, 'ts-cluster', 'publicly-accessible')).toBe('PASSED INFORMATIONAL');
  });

  it('timestream.diagnostics-exposed: the default group and unset switches keep pprof/metrics enabled', () => {
    const doc = result.document;
    expect(verdict(doc, 'ts-public', 'diagnostics-exposed')).toBe('FAILED MEDIUM');
    expect(of(doc, 'ts-public', 'diagnostics-exposed')[0]!.evidence).toMatchObject({
      parameterGroup: 'default',
      pprofDisabled: false,
      metricsDisabled: false,
    });
    expect(verdict(doc, 'ts-private', 'diagnostics-exposed')).toBe('FAILED MEDIUM');
    expect(of(doc, 'ts-private', 'diagnostics-exposed')[0]!.evidence.summary).toBe(
      `/metrics enabled (parameter group ${estate.parameterGroups.half})`,
    );
    expect(verdict(doc, 'ts-restricted', 'diagnostics-exposed')).toBe('PASSED INFORMATIONAL');
    expect(verdict(doc, 'ts-cluster', 'diagnostics-exposed')).toBe('PASSED INFORMATIONAL');
  });

  it('timestream.log-delivery-disabled: LOW without S3 log delivery', () => {
    expect(verdict(result.document, 'ts-public', 'log-delivery-disabled')).toBe('FAILED LOW');
    expect(verdict(result.document, 'ts-cluster', 'log-delivery-disabled')).toBe('PASSED INFORMATIONAL');
  });

  it('names each DB by its identifier (resource Other) and maps it to its ARN in ASFF', () => {
    const [f] = of(result.document, 'ts-cluster', 'log-delivery-disabled');
    expect(f!.resource).toEqual({ type: 'Other', id: ts('ts-cluster') });
    const arn = `arn:aws:timestream-influxdb:${R}:${account.accountId}:db-cluster/${ts('ts-cluster')}`;
    expect(f!.evidence.arn).toBe(arn);
    const a = toAsff(f!, { now: result.document.finishedAt });
    expect(a.Id).toBe(`influxguard/${account.accountId}/${R}/timestream.log-delivery-disabled/${ts('ts-cluster')}/${ts('ts-cluster')}`);
    expect(a.Resources).toEqual([{ Type: 'Other', Id: arn, Partition: 'aws', Region: R }]);
  });

  it('still reports the EC2 instance', () => {
    const ec2 = result.document.findings.filter((f) => f.instanceId === estate.instances['ec2-influx']![0]);
    expect(ec2.some((f) => f.checkId === 'net.http-port-public' && f.status === 'PASSED')).toBe(true);
  });
});

describe('selection and failures', () => {
  it('explicit tag selectors narrow the DBs to those whose tags match', async () => {
    const config = baseConfig({ tagSelectors: [{ key: 'influxdb' }] });
    const { clients, counter } = account.clients(config);
    const r = await scan(config, { clients, homeRegion: R });
    expect(r.databases.map((d) => d.name)).toEqual(['ts-private']);
    expect(r.instances).toHaveLength(1);
    expect(counter.callsByOperation()['timestreaminfluxdb:ListTagsForResource']).toBe(6);
  });

  it('the default selectors keep every DB and read no tags', async () => {
    const config = baseConfig();
    const { clients, counter } = account.clients(config);
    await scan(config, { clients, homeRegion: R });
    expect(counter.callsByOperation()['timestreaminfluxdb:ListTagsForResource']).toBeUndefined();
  });

  it('a failing list call: NOT_AVAILABLE Timestream checks, an incomplete scan, EC2 still scanned, nothing Timestream archived', async () => {
    const config = baseConfig();
    const clients = failing(account.clients(config).clients, 'ListDbClusters');
    const r = await scan(config, { clients, homeRegion: R });
    const tsFindings = r.document.findings.filter((f) => f.checkId.startsWith('timestream.'));
    expect(tsFindings.map((f) => `${f.checkId} ${f.status} ${f.resource.type} ${f.instanceId ?? '-'}`).sort()).toEqual([
      'timestream.diagnostics-exposed NOT_AVAILABLE AwsAccount -',
      'timestream.log-delivery-disabled NOT_AVAILABLE AwsAccount -',
      'timestream.publicly-accessible NOT_AVAILABLE AwsAccount -',
    ]);
    expect(tsFindings[0]!.evidence.reason).toMatch(/timestream-influxdb:ListDbClusters failed: AccessDeniedException/);
    expect(r.incomplete).toEqual([
      expect.stringMatching(/^Timestream for InfluxDB of \d{12}\/eu-west-1 could not be listed: timestream-influxdb:ListDbClusters failed/),
    ]);
    expect(r.instances).toHaveLength(1);
    const cov = r.coverage[0]!;
    expect(cov.failed).toBeUndefined();
    expect(cov.timestreamListed).toBeUndefined();
    expect(publishScope(cov).isGone(ts('ts-public'))).toBe(false);
    expect(publishScope(cov).isGone('i-0123456789abcdef0')).toBe(true);
  });

  it('a failing parameter group read makes only that check NOT_AVAILABLE for the DBs using a custom group', async () => {
    const config = baseConfig();
    const clients = failing(account.clients(config).clients, 'GetDbParameterGroup');
    const r = await scan(config, { clients, homeRegion: R });
    expect(verdict(r.document, 'ts-restricted', 'diagnostics-exposed')).toBe('NOT_AVAILABLE INFORMATIONAL');
    expect(verdict(r.document, 'ts-public', 'diagnostics-exposed')).toBe('FAILED MEDIUM'); // default group: nothing to read
    expect(verdict(r.document, 'ts-restricted', 'publicly-accessible')).toBe('FAILED MEDIUM');
    expect(r.coverage[0]!.assessed.has(`${ts('ts-restricted')}/timestream.diagnostics-exposed`)).toBe(false);
    expect(r.coverage[0]!.assessed.has(`${ts('ts-restricted')}/timestream.publicly-accessible`)).toBe(true);
  });

  it('a region without the service is skipped silently', async () => {
    const config = baseConfig({ regions: ['sa-east-1'] });
    const r = await scan(config, { clients: account.clients(config).clients, homeRegion: 'sa-east-1' });
    expect(r.document.findings.filter((f) => f.checkId.startsWith('timestream.'))).toEqual([]);
  });
});

describe('endpoint probes', () => {
  const probed = (env: NodeJS.ProcessEnv) => {
    const targets: string[] = [];
    const config = baseConfig({ probe: { enabled: true, allowedCidrs: ['127.0.0.0/8'] } });
    const probe = async (t: ProbeTarget): Promise<Result<ProbeEvidence>> => {
      targets.push(t.input);
      return fail(`${t.host} resolves outside the allowed CIDRs`);
    };
    return scan(config, { clients: account.clients(config).clients, homeRegion: R, probe, env }).then((r) => ({ r, targets }));
  };

  it('under an emulator the made-up managed endpoints are never probed', async () => {
    const { r, targets } = await probed({ AWS_ENDPOINT_URL: endpoint() });
    expect(targets.filter((t) => t.includes('timestream-influxdb'))).toEqual([]);
    expect(r.document.findings.filter((f) => f.endpoint?.includes('timestream-influxdb'))).toEqual([]);
  });

  it('otherwise an available DB is probed over TLS on its port, its endpoint findings on the DB', async () => {
    const { r, targets } = await probed({});
    const cluster = r.databases.find((d) => d.name === 'ts-cluster')!;
    // moto leaves DB instances CREATING: only the (AVAILABLE) cluster is probed.
    expect(targets.filter((t) => t.includes('timestream-influxdb'))).toEqual([`https://${cluster.endpoint}:8086`]);
    const f = r.document.findings.find((x) => x.checkId === 'auth.disabled' && x.instanceId === cluster.id)!;
    expect(f).toMatchObject({
      status: 'NOT_AVAILABLE',
      endpoint: `https://${cluster.endpoint}:8086`,
      resource: { type: 'Other', id: cluster.id },
    });
    expect(toAsff(f, { now: r.document.finishedAt }).Resources![0]!.Id).toBe(cluster.arn);
  });
});

describe('the CLI', () => {
  it('shows both kinds in the table, the DBs under their own heading', async () => {
    const r = await runCli(['scan', '--format', 'table', '--no-color', '--quiet'], account.env(R));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${ts('ts-public')} ts-public (Timestream for InfluxDB instance, CREATING) ${account.accountId}/${R}`);
    expect(r.stdout).toMatch(/FAILED\s+CRITICAL\s+timestream\.publicly-accessible/);
    expect(r.stdout).toContain(`${ts('ts-cluster')} ts-cluster (Timestream for InfluxDB cluster, AVAILABLE)`);
    expect(r.stdout).toContain(estate.instances['ec2-influx']![0]);
  });

  it('a throttled ListDbInstances (fault proxy) makes the scan incomplete, exit 3, the EC2 instance still checked', async () => {
    const proxy = await startFaultProxy(endpoint(), { rates: { 'timestream-influxdb:ListDbInstances': 1 }, faults: ['throttle'] });
    try {
      const dir = mkdtempSync(join(tmpdir(), 'influxguard-ts-'));
      const configFile = join(dir, 'config.json');
      writeFileSync(configFile, JSON.stringify({ aws: { maxAttempts: 2, connectTimeoutMs: 1000, requestTimeoutMs: 5000 } }));
      const r = await runCli(['scan', '--format', 'json', '--quiet', '--config', configFile], {
        ...account.env(R),
        AWS_ENDPOINT_URL: proxy.endpoint,
      });
      expect(r.stderr).toMatch(
        /influxguard: incomplete: Timestream for InfluxDB of \d{12}\/eu-west-1 could not be listed: timestream-influxdb:ListDbInstances failed: ThrottlingException/,
      );
      expect(r.code).toBe(3);
      const doc = JSON.parse(r.stdout) as { findings: Finding[] };
      expect(doc.findings.filter((f) => f.checkId.startsWith('timestream.')).map((f) => f.status)).toEqual([
        'NOT_AVAILABLE',
        'NOT_AVAILABLE',
        'NOT_AVAILABLE',
      ]);
      expect(doc.findings.some((f) => f.instanceId === estate.instances['ec2-influx']![0] && f.status === 'PASSED')).toBe(true);
      expect(proxy.injected['timestream-influxdb']!.throttle).toBeGreaterThanOrEqual(2);
    } finally {
      await proxy.stop();
    }
  });
});

describe('publishing to Security Hub', () => {
  it('imports both kinds with stable ids; a rescan imports nothing; a deleted DB is archived after a complete listing', async () => {
    const creds = { region: R, endpoint: endpoint(), credentials: account.credentials };
    const sh = new SecurityHubClient(creds);
    await sh.send(new EnableSecurityHubCommand({}));
    const config = baseConfig({ publish: { enabled: true } });
    const run = (at: string, clients = account.clients(config).clients) => scanAndPublish(config, clients, R, at);
    const all = () => allFindings(sh);
    const first = await run('2026-11-01T00:00:00Z');
    expect(first.report.securityHub.failed).toEqual([]);
    const ids = new Set((await all()).map((f) => f.Id!));
    for (const f of first.r.document.findings) expect(ids.has(findingId(f))).toBe(true);
    expect([...ids].some((id) => id.includes(`/timestream.publicly-accessible/${ts('ts-public')}/`))).toBe(true);
    expect([...ids].some((id) => id.includes(`/${estate.instances['ec2-influx']![0]}/`))).toBe(true);

    const second = await run('2026-11-01T01:00:00Z');
    expect(second.report.securityHub.imported).toBe(0);

    // A failing listing archives nothing; after the DB is deleted, a complete listing archives its findings.
    const tsClient = new TimestreamInfluxDBClient(creds);
    await tsClient.send(new DeleteDbInstanceCommand({ identifier: ts('ts-public') }));
    tsClient.destroy();
    const broken = await run('2026-11-01T02:00:00Z', failing(account.clients(config).clients, 'ListDbInstances'));
    expect(broken.report.securityHub.archived).toBe(0);
    const third = await run('2026-11-01T03:00:00Z');
    // Its three findings, and the three "could not be listed" placeholders of the broken run, superseded.
    expect(third.report.securityHub.archived).toBe(6);
    const gone = (await all()).filter((f) => f.Id!.includes(`/${ts('ts-public')}/`));
    expect(gone.map((f) => f.RecordState)).toEqual(['ARCHIVED', 'ARCHIVED', 'ARCHIVED']);
  });
});
