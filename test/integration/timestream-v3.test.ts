/**
 * Timestream for InfluxDB 3 clusters against the moto server (its clusters gain the engineType AWS derives from the
 * parameter group: scripts/moto_server.py): INFLUXDB_V3_CORE and INFLUXDB_V3_ENTERPRISE take every timestream.*
 * check but timestream.diagnostics-exposed (their parameter groups have no pprof/metrics switch), on their API
 * port 8181.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../lib/config.js';
import type { Finding, ScanResult } from '../../lib/model.js';
import { scan } from '../../lib/scan.js';
import { seedEstate, type SeededEstate } from '../../scripts/estate.js';
import { testAccount } from '../support/aws.js';

const R = 'eu-west-1';
let estate: SeededEstate;
let result: ScanResult;

beforeAll(async () => {
  const account = await testAccount();
  estate = await seedEstate(account.seeder(R), {
    region: R,
    ebsDefaultEncryption: true,
    groups: [
      { name: 'world-8181', rules: [{ ports: 8181, cidrs: ['0.0.0.0/0'] }] },
      { name: 'vpc-8181', rules: [{ ports: 8181, cidrs: ['10.0.0.0/16'] }] },
    ],
    instances: [],
    parameterGroups: [
      { name: 'core', engine: 'InfluxDBv3Core' },
      { name: 'enterprise', engine: 'InfluxDBv3Enterprise' },
    ],
    timestream: [
      { name: 'v3-core', kind: 'cluster', groups: ['world-8181'], publiclyAccessible: true, parameterGroup: 'core' },
      { name: 'v3-ent', kind: 'cluster', groups: ['vpc-8181'], parameterGroup: 'enterprise', logBucket: 'influx-logs' },
    ],
  });
  const config = parseConfig({ regions: [R], probe: { enabled: false, allowedCidrs: ['127.0.0.0/8'] } });
  result = await scan(config, { clients: account.clients(config).clients, homeRegion: R });
});

const verdicts = (name: string) =>
  result.document.findings
    .filter((f: Finding) => f.instanceId === estate.timestream[name] && f.checkId.startsWith('timestream.'))
    .map((f) => `${f.checkId} ${f.status} ${f.severity}`)
    .sort();

describe('Timestream for InfluxDB 3 clusters', () => {
  it('are discovered with their engine type and the InfluxDB 3 port', () => {
    const dbs = Object.fromEntries(result.databases.map((d) => [d.name, d]));
    expect(dbs['v3-core']).toMatchObject({ kind: 'cluster', engineType: 'INFLUXDB_V3_CORE', port: 8181 });
    expect(dbs['v3-ent']).toMatchObject({ kind: 'cluster', engineType: 'INFLUXDB_V3_ENTERPRISE', port: 8181 });
  });
  it('take every timestream.* check but diagnostics-exposed (no pprof/metrics switch in their parameter groups)', () => {
    expect(verdicts('v3-core')).toEqual([
      'timestream.log-delivery-disabled FAILED LOW',
      'timestream.publicly-accessible FAILED CRITICAL', // public, 8181 from the world
    ]);
    expect(verdicts('v3-ent')).toEqual([
      'timestream.log-delivery-disabled PASSED INFORMATIONAL',
      'timestream.publicly-accessible PASSED INFORMATIONAL',
    ]);
  });
});
