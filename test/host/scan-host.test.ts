/**
 * A scan with probes and host evidence together (local transport): the probe
 * decides when both speak, the evidence records both and their disagreement;
 * the host alone decides when the endpoint cannot be probed.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../lib/config.js';
import type { ScanDocument } from '../../lib/model.js';
import { scan } from '../../lib/scan.js';
import { seedEstate, type SeededEstate } from '../../scripts/estate.js';
import { influxQuery, startInfluxd, type RunningInfluxd } from '../../scripts/influxd.js';
import { startHardenedProxy } from '../../scripts/nginx.js';
import { testAccount } from '../support/aws.js';

const REGION = 'eu-north-1';
let envOff: RunningInfluxd;
let behindProxy: RunningInfluxd;
let proxy: RunningInfluxd;
let estate: SeededEstate;
let doc: ScanDocument;

beforeAll(async () => {
  envOff = await startInfluxd({ auth: true, env: { INFLUXDB_HTTP_AUTH_ENABLED: 'false' } });
  behindProxy = await startInfluxd({ auth: true, pprof: false });
  await influxQuery(behindProxy.url, "CREATE USER admin WITH PASSWORD 'fixture-only' WITH ALL PRIVILEGES");
  proxy = await startHardenedProxy(behindProxy);
  const account = await testAccount();
  estate = await seedEstate(account.seeder(REGION), {
    region: REGION,
    groups: [{ name: 'app', rules: [{ ports: 8086, cidrs: ['10.0.0.0/16'] }] }],
    instances: [
      { name: 'env-off', tags: { influxdb: '', 'influxdb:endpoint': envOff.url }, groups: ['app'] },
      { name: 'proxied', tags: { influxdb: '', 'influxdb:endpoint': proxy.url }, groups: ['app'] },
      { name: 'host-only', tags: { influxdb: '' }, groups: ['app'] },
      { name: 'stopped', tags: { influxdb: '' }, groups: ['app'], stopped: true },
    ],
  });
  const config = parseConfig({
    regions: [REGION],
    // Tags point at loopback servers standing in for the instances: listed as endpoint CIDRs too.
    probe: { allowedCidrs: ['127.0.0.0/8'], endpointCidrs: ['127.0.0.0/8'], caFiles: [] },
    host: {
      local: {
        'env-off': { pids: [envOff.pid] },
        proxied: { pids: [behindProxy.pid] },
        'host-only': { pids: [envOff.pid] },
        stopped: { pids: [envOff.pid] },
      },
    },
  });
  const { clients } = account.clients(config);
  ({ document: doc } = await scan(config, { clients, homeRegion: REGION }));
}, 90_000);

afterAll(async () => {
  await Promise.all([envOff, behindProxy, proxy].map((s) => s.stop()));
});

const find = (name: string, checkId: string) =>
  doc.findings.find((f) => f.instanceId === estate.instances[name]![0] && f.checkId === checkId)!;

describe('scan with probe and host evidence', () => {
  it('both agree: auth turned off by the environment is FAILED, with both verdicts recorded', () => {
    const f = find('env-off', 'auth.disabled');
    expect(f).toMatchObject({ status: 'FAILED', endpoint: envOff.url });
    expect(f.evidence.host).toMatchObject({ status: 'FAILED' });
    expect(f.evidence.disagreement).toBeUndefined();
  });
  it('they disagree: TLS at the proxy, off in influxd; the probe decides and the evidence says so', () => {
    const f = find('proxied', 'tls.disabled');
    expect(f).toMatchObject({ status: 'PASSED' });
    expect(f.evidence.host).toMatchObject({ status: 'FAILED' });
    expect(String(f.evidence.disagreement)).toMatch(/the probe .* decides/);
  });
  it('the host alone decides when the endpoint cannot be probed', () => {
    const f = find('host-only', 'auth.disabled');
    expect(f).toMatchObject({ status: 'FAILED', evidence: { decidedBy: 'host' } });
    expect(String(f.evidence.probe)).toMatch(/outside the allowed target CIDRs/);
    expect(f.endpoint).toMatch(/^10\./); // where it would have been probed
    expect(find('host-only', 'auth.no-admin-user').status).toBe('NOT_AVAILABLE'); // probe-only check, probe refused
    expect(find('host-only', 'host.rpc-bind-all-interfaces').status).toBe('PASSED');
  });
  it('a stopped instance: host evidence unavailable with the reason, host checks NOT_AVAILABLE', () => {
    expect(find('stopped', 'host.evidence-unavailable')).toMatchObject({ status: 'NOT_AVAILABLE', severity: 'INFORMATIONAL' });
    expect(String(find('stopped', 'host.evidence-unavailable').evidence.reason)).toMatch(/instance is stopped/);
    expect(find('stopped', 'host.rpc-bind-all-interfaces').status).toBe('NOT_AVAILABLE');
  });
});
