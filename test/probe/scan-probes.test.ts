/** `scan` probes running instances: the endpoint tag mapped to a real influxd on loopback, correlation with the network model. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:net';
import { parseConfig } from '../../lib/config.js';
import type { ScanDocument } from '../../lib/model.js';
import { scan } from '../../lib/scan.js';
import { seedEstate, type SeededEstate } from '../../scripts/estate.js';
import { testAccount } from '../support/aws.js';
import { startInfluxd, type RunningInfluxd } from '../../scripts/influxd.js';

const REGION = 'ap-northeast-1';
let server: RunningInfluxd;
let estate: SeededEstate;
let doc: ScanDocument;
/** The same estate scanned without endpoint CIDRs: tags may point at the instances' own addresses only. */
let untied: ScanDocument;
/** A listener inside the allowlist that one instance's tag points at: it must receive nothing unless listed. */
let oracle: Server;
let oracleConnections = 0;

beforeAll(async () => {
  server = await startInfluxd({});
  oracle = createServer((sock) => {
    oracleConnections++;
    sock.destroy();
  });
  await new Promise<void>((r) => oracle.listen(0, '127.0.0.1', () => r()));
  const oracleUrl = `http://127.0.0.1:${(oracle.address() as { port: number }).port}`;
  const account = await testAccount();
  estate = await seedEstate(account.seeder(REGION), {
    region: REGION,
    groups: [
      { name: 'world', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] },
      { name: 'private', rules: [{ ports: 8086, cidrs: ['10.0.0.0/16'] }] },
    ],
    instances: [
      { name: 'public-open', tags: { influxdb: '', 'influxdb:endpoint': server.url }, groups: ['world'], publicIp: true },
      { name: 'private-open', tags: { influxdb: '', 'influxdb:endpoint': server.url }, groups: ['private'] },
      { name: 'stopped', tags: { influxdb: '', 'influxdb:endpoint': server.url }, groups: ['private'], stopped: true },
      { name: 'unmapped', tags: { influxdb: '' }, groups: ['private'] },
      { name: 'metadata', tags: { influxdb: '', 'influxdb:endpoint': 'http://169.254.169.254:80' }, groups: ['private'] },
      { name: 'oracle', tags: { influxdb: '', 'influxdb:endpoint': oracleUrl }, groups: ['private'] },
    ],
  });
  const probe = { allowedCidrs: ['127.0.0.0/8'], connectTimeoutMs: 1000, tlsTimeoutMs: 1000, responseTimeoutMs: 2500 };
  const strict = parseConfig({ regions: [REGION], probe });
  ({ document: untied } = await scan(strict, { clients: account.clients(strict).clients, homeRegion: REGION }));
  expect(oracleConnections).toBe(0);
  // The emulated instances' addresses belong to nobody: their tags point at loopback servers, listed explicitly.
  const config = parseConfig({ regions: [REGION], probe: { ...probe, endpointCidrs: ['127.0.0.0/8'] } });
  const { clients } = account.clients(config);
  ({ document: doc } = await scan(config, { clients, homeRegion: REGION }));
}, 60_000);
afterAll(() => {
  oracle.close();
  return server.stop();
});

const find = (name: string, checkId: string, d = doc) =>
  d.findings.find((f) => f.instanceId === estate.instances[name]![0] && f.checkId === checkId);

describe('scan with probes', () => {
  it('probes the endpoint tag and raises findings of an internet-exposed instance', () => {
    expect(find('public-open', 'auth.disabled')).toMatchObject({
      status: 'FAILED',
      severity: 'CRITICAL',
      endpoint: server.url,
      resource: { type: 'AwsEc2Instance' },
    });
    expect(find('public-open', 'auth.disabled')!.evidence.severityRaised).toBeDefined();
    expect(find('private-open', 'auth.disabled')).toMatchObject({ status: 'FAILED', severity: 'HIGH' });
  });
  it('never probes stopped instances', () => {
    expect(find('stopped', 'auth.disabled')).toBeUndefined();
    expect(find('stopped', 'net.http-port-public')).toMatchObject({ status: 'PASSED' });
  });
  it('refuses emulated private IPs outside the allowlist and the metadata address, with reasons', () => {
    expect(String(find('unmapped', 'auth.disabled')!.evidence.reason)).toMatch(/outside the allowed target CIDRs/);
    expect(find('unmapped', 'auth.disabled')!.status).toBe('NOT_AVAILABLE');
    expect(String(find('metadata', 'tls.disabled')!.evidence.reason)).toMatch(/169\.254\.0\.0\/16/);
  });
  it("refuses a tag pointing away from the instance's own addresses unless endpoint CIDRs list it: no reachability oracle", () => {
    for (const name of ['public-open', 'private-open', 'oracle']) {
      const f = find(name, 'auth.disabled', untied)!;
      expect(f.status).toBe('NOT_AVAILABLE');
      expect(String(f.evidence.reason)).toMatch(
        new RegExp(
          `influxdb:endpoint tag of ${estate.instances[name]![0]}: 127\\.0\\.0\\.1 is not an address of the instance .*probe\\.endpointCidrs`,
        ),
      );
    }
    expect(
      untied.findings.filter((f) => f.checkId.startsWith('auth.') && f.status !== 'NOT_AVAILABLE' && f.evidence.decidedBy !== 'host'),
    ).toEqual([]);
    expect(find('oracle', 'auth.disabled')!.status).toBe('NOT_AVAILABLE'); // listed: probed, and not InfluxDB
    expect(oracleConnections).toBeGreaterThan(0);
  });
});
