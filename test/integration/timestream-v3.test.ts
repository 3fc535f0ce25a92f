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
      { name: 'world-8086', rules: [{ ports: 8086, cidrs: ['0.0.0.0/0'] }] },
      { name: 'split-9181', rules: [{ ports: 9181, cidrs: ['0.0.0.0/1', '128.0.0.0/1'] }] },
    ],
    instances: [],
    parameterGroups: [
      { name: 'core', engine: 'InfluxDBv3Core' },
      { name: 'enterprise', engine: 'InfluxDBv3Enterprise' },
    ],
    timestream: [
      { name: 'v3-core', kind: 'cluster', groups: ['world-8181'], publiclyAccessible: true, parameterGroup: 'core' },
      { name: 'v3-ent', kind: 'cluster', groups: ['vpc-8181'], parameterGroup: 'enterprise', logBucket: 'influx-logs' },
      // Public, but the world reaches only 8086, which is not an InfluxDB 3 cluster's API port.
      { name: 'v3-on-8086', kind: 'cluster', groups: ['world-8086'], publiclyAccessible: true, parameterGroup: 'core' },
      // Public on its own port, open to the world through a split (CHECKS.md: 0.0.0.0/1 + 128.0.0.0/1 is the world).
      { name: 'v3-port', kind: 'cluster', groups: ['split-9181'], publiclyAccessible: true, parameterGroup: 'core', port: 9181 },
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
  it('publicly-accessible judges the port of the cluster: 8181 by default (8086 open to the world is not it), or the one it was given', () => {
    const dbs = Object.fromEntries(result.databases.map((d) => [d.name, d]));
    expect(dbs['v3-port']).toMatchObject({ engineType: 'INFLUXDB_V3_CORE', port: 9181 });
    expect(verdicts('v3-on-8086')).toContain('timestream.publicly-accessible FAILED MEDIUM');
    expect(verdicts('v3-port')).toEqual(['timestream.log-delivery-disabled FAILED LOW', 'timestream.publicly-accessible FAILED CRITICAL']);
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
