import { describe, expect, it } from '@jest/globals';
import { diagnosticsExposed, logDeliveryDisabled, publiclyAccessible } from '../../lib/checks/timestream.js';
import { evaluateDatabase } from '../../lib/evaluate.js';
import { fail, ok, type DatabaseContext, type Opening, type TimestreamDb } from '../../lib/model.js';

const db = (over: Partial<TimestreamDb> = {}): TimestreamDb => ({
  accountId: '111122223333',
  region: 'eu-west-1',
  kind: 'instance',
  id: 'abcde12345',
  name: 'metrics',
  arn: 'arn:aws:timestream-influxdb:eu-west-1:111122223333:db-instance/abcde12345',
  port: 8086,
  publiclyAccessible: true,
  securityGroupIds: ['sg-1'],
  logDelivery: { enabled: false },
  tags: {},
  ...over,
});
const opening = (cidr: string, port = 8086): Opening => ({
  groupId: 'sg-1',
  protocol: 'tcp',
  fromPort: port,
  toPort: port,
  source: cidr,
  peer: { kind: 'cidr', cidr, family: cidr.includes(':') ? 6 : 4, prefixLength: Number(cidr.split('/')[1]) },
});
const ctx = (d: TimestreamDb, openings: Opening[] = [], over: Partial<DatabaseContext['evidence']> = {}): DatabaseContext => ({
  db: d,
  settings: { allowedPorts: [], certificateWarningDays: 30, defaultCredentials: false },
  evidence: {
    network: ok({
      openings,
      groupIds: d.securityGroupIds,
      clusterGroupIds: [],
      clusterHostIps: [],
      clusterCidrs: [],
      publicIpv4: [],
      publicIpv6: [],
    }),
    parameters: ok({ groupId: 'default', engine: 'InfluxDBv2' }),
    logs: ok(d.logDelivery),
    ...over,
  },
});

describe('timestream.publicly-accessible', () => {
  it('CRITICAL when public and the port is world-open, MEDIUM when restricted, PASSED when private', () => {
    expect(publiclyAccessible.evaluate(ctx(db(), [opening('0.0.0.0/0')]))[0]).toMatchObject({ status: 'FAILED', severity: 'CRITICAL' });
    expect(publiclyAccessible.evaluate(ctx(db(), [opening('::/0')]))[0]).toMatchObject({ status: 'FAILED', severity: 'CRITICAL' });
    expect(publiclyAccessible.evaluate(ctx(db(), [opening('10.0.0.0/8')]))[0]).toMatchObject({ status: 'FAILED', severity: 'MEDIUM' });
    expect(publiclyAccessible.evaluate(ctx(db({ publiclyAccessible: false }), [opening('0.0.0.0/0')]))[0]).toMatchObject({
      status: 'PASSED',
    });
  });
  it('judges the DB’s own port', () => {
    expect(publiclyAccessible.evaluate(ctx(db({ port: 9999 }), [opening('0.0.0.0/0')]))[0]).toMatchObject({
      status: 'FAILED',
      severity: 'MEDIUM',
    });
    expect(publiclyAccessible.evaluate(ctx(db({ port: 9999 }), [opening('0.0.0.0/0', 9999)]))[0]).toMatchObject({
      status: 'FAILED',
      severity: 'CRITICAL',
    });
  });
  it('an unreadable source is NOT_AVAILABLE, never a pass', () => {
    const unresolved: Opening = {
      ...opening('0.0.0.0/0'),
      source: 'pl-1',
      peer: { kind: 'unresolved', reason: 'prefix list pl-1: AccessDenied' },
    };
    expect(publiclyAccessible.evaluate(ctx(db(), [unresolved]))[0]).toMatchObject({ status: 'NOT_AVAILABLE' });
  });
});

describe('timestream.diagnostics-exposed', () => {
  it('the default group (InfluxDB defaults) fails; both switches on passes; one missing fails', () => {
    expect(diagnosticsExposed.evaluate(ctx(db()))[0]).toMatchObject({
      status: 'FAILED',
      summary: '/debug/pprof and /metrics enabled (default DB parameter group)',
    });
    const params = (p: object) => ({ parameters: ok({ groupId: 'pg-1', engine: 'InfluxDBv2', ...p }) });
    expect(diagnosticsExposed.evaluate(ctx(db(), [], params({ pprofDisabled: true, metricsDisabled: true })))[0]).toMatchObject({
      status: 'PASSED',
    });
    expect(diagnosticsExposed.evaluate(ctx(db(), [], params({ pprofDisabled: true })))[0]).toMatchObject({
      status: 'FAILED',
      summary: '/metrics enabled (parameter group pg-1)',
    });
  });
  it('does not speak about InfluxDB 3 parameter groups', () => {
    expect(diagnosticsExposed.appliesTo!(ctx(db(), [], { parameters: ok({ groupId: 'pg-3', engine: 'InfluxDBv3Core' }) }))).toBe(false);
  });
  it('does not speak about InfluxDB 3 engines, even when their parameter group could not be read (fails on the old code)', () => {
    for (const engineType of ['INFLUXDB_V3_CORE', 'INFLUXDB_V3_ENTERPRISE'])
      expect(diagnosticsExposed.appliesTo!(ctx(db({ engineType }), [], { parameters: fail('AccessDenied') }))).toBe(false);
    expect(diagnosticsExposed.appliesTo!(ctx(db({ engineType: 'INFLUXDB_V2' }), [], { parameters: fail('AccessDenied') }))).toBe(true);
  });
});

describe('timestream.log-delivery-disabled', () => {
  it('fails without S3 delivery, passes with it', () => {
    expect(logDeliveryDisabled.evaluate(ctx(db()))[0]).toMatchObject({ status: 'FAILED' });
    expect(logDeliveryDisabled.evaluate(ctx(db({ logDelivery: { enabled: true, bucket: 'logs' } })))[0]).toMatchObject({
      status: 'PASSED',
    });
  });
});

describe('evaluateDatabase', () => {
  it('names the DB by its identifier, carries its ARN, and records complete assessments', () => {
    const assessed = new Set<string>();
    const findings = evaluateDatabase(
      [publiclyAccessible, diagnosticsExposed, logDeliveryDisabled],
      ctx(db(), [], { parameters: fail('timestream-influxdb:GetDbParameterGroup failed: AccessDenied') }),
      assessed,
    );
    expect(findings.map((f) => `${f.checkId} ${f.status} ${f.instanceId} ${f.resource.type}:${f.resource.id}`)).toEqual([
      'timestream.publicly-accessible FAILED abcde12345 Other:abcde12345',
      'timestream.diagnostics-exposed NOT_AVAILABLE abcde12345 Other:abcde12345',
      'timestream.log-delivery-disabled FAILED abcde12345 Other:abcde12345',
    ]);
    expect(findings[0]!.evidence).toMatchObject({ arn: db().arn, kind: 'timestream-influxdb instance', name: 'metrics' });
    expect([...assessed].sort()).toEqual(['abcde12345/timestream.log-delivery-disabled', 'abcde12345/timestream.publicly-accessible']);
  });
});
