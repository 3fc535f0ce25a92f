/** `ecs-service` in event-driven rescans (lib/kinds/ecs-service/events.ts): which CloudTrail records name a service. */
import { describe, expect, it } from '@jest/globals';
import { createRequire } from 'node:module';
import { changeOf } from '../../lib/app/events.js';
import { parseConfig } from '../../lib/config.js';
import { ecsServiceEvents } from '../../lib/kinds/ecs-service/events.js';
import { matchesPattern } from '../support/event-pattern.js';

const { changePattern } = createRequire(import.meta.url)('../../serverless/events.cjs');

const SERVICE = 'arn:aws:ecs:eu-west-1:123456789012:service/prod/influxdb';
const rec = (eventName: string, requestParameters: Record<string, unknown>, responseElements: Record<string, unknown> = {}) => ({
  eventSource: 'ecs.amazonaws.com',
  eventName,
  requestParameters,
  responseElements,
});
const named = (r: ReturnType<typeof rec>) => ecsServiceEvents.named(r, () => true);

describe('ecs-service events', () => {
  it('CreateService, UpdateService and DeleteService rescan the service', () => {
    expect(named(rec('CreateService', { serviceName: 'influxdb' }, { service: { serviceArn: SERVICE } }))?.ids).toEqual([SERVICE]);
    expect(named(rec('UpdateService', { service: SERVICE }))?.ids).toEqual([SERVICE]);
    expect(named(rec('DeleteService', { service: 'influxdb' }, { service: { serviceArn: SERVICE } }))?.ids).toEqual([SERVICE]);
    // A short name only: the region (the region unit lists every service).
    expect(named(rec('UpdateService', { service: 'influxdb' }))).toMatchObject({ ids: ['*'] });
  });

  it('RegisterTaskDefinition changes nothing that runs: it rescans nothing', () => {
    expect(named(rec('RegisterTaskDefinition', { family: 'influxdb' }))).toBeUndefined();
  });

  it('a standalone RunTask names no service: the region, under the region rate limit', () => {
    expect(named(rec('RunTask', { taskDefinition: 'influxdb:3' }))).toEqual({ ids: ['*'], why: 'a standalone task was started (RunTask)' });
  });

  it('a tag change on a service rescans it when a watched key changes (TagResource, UntagResource)', () => {
    const watched = (k: string) => k === 'InfluxDB';
    const tag = (eventName: string, req: Record<string, unknown>) => ecsServiceEvents.named(rec(eventName, req), watched);
    expect(tag('TagResource', { resourceArn: SERVICE, tags: [{ key: 'InfluxDB', value: 'true' }] })?.ids).toEqual([SERVICE]);
    expect(tag('UntagResource', { resourceArn: SERVICE, tagKeys: ['InfluxDB'] })?.ids).toEqual([SERVICE]);
    // A key nobody selects on, a task definition's or cluster's tags, a hostile ARN: nothing.
    expect(tag('UntagResource', { resourceArn: SERVICE, tagKeys: ['Owner'] })).toBeUndefined();
    expect(tag('TagResource', { resourceArn: SERVICE, tags: [{ key: 'Owner', value: 'x' }] })).toBeUndefined();
    expect(
      tag('TagResource', {
        resourceArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/influxdb:3',
        tags: [{ key: 'InfluxDB', value: 'true' }],
      }),
    ).toBeUndefined();
    expect(tag('UntagResource', { resourceArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod', tagKeys: ['InfluxDB'] })).toBeUndefined();
    expect(tag('UntagResource', { resourceArn: `${SERVICE}\u001b[31m`, tagKeys: ['InfluxDB'] })).toBeUndefined();
    // A standalone task's tags: the task is rescanned as named (the region unit lists it).
    const TASK = 'arn:aws:ecs:eu-west-1:123456789012:task/prod/0123456789abcdef0123456789abcdef';
    expect(tag('TagResource', { resourceArn: TASK, tags: [{ key: 'InfluxDB', value: 'true' }] })?.ids).toEqual([TASK]);
  });

  it('an ECS tag change passes the rule (each name listed once) and names the service only, never a Timestream database', () => {
    const detail = {
      eventSource: 'ecs.amazonaws.com',
      eventName: 'TagResource',
      awsRegion: 'eu-west-1',
      recipientAccountId: '123456789012',
      requestParameters: { resourceArn: SERVICE, tags: [{ key: 'influxdb', value: '' }] },
    };
    expect(matchesPattern(changePattern, { source: 'aws.ecs', 'detail-type': 'AWS API Call via CloudTrail', detail })).toBe(true);
    const change = changeOf(detail, '123456789012', parseConfig({}));
    expect(change).toMatchObject({ named: { 'ecs-service': [SERVICE] }, wholeRegion: false });
    expect(change?.named['timestream-db']).toBeUndefined();
    expect(
      changeOf(
        { ...detail, requestParameters: { resourceArn: SERVICE, tags: [{ key: 'Owner', value: 'x' }] } },
        '123456789012',
        parseConfig({}),
      ),
    ).toBeUndefined();
  });

  it('other sources, unlisted events and hostile ARNs name nothing', () => {
    expect(
      ecsServiceEvents.named({ ...rec('UpdateService', { service: SERVICE }), eventSource: 'ec2.amazonaws.com' }, () => true),
    ).toBeUndefined();
    expect(named(rec('ListServices', {}))).toBeUndefined();
    expect(named(rec('UpdateService', { service: `${SERVICE}\u001b[31m` }))?.ids).toEqual(['*']);
    expect(named(rec('UpdateService', { service: `${SERVICE}/${'x'.repeat(700)}` }))?.ids).toEqual(['*']);
  });

  it('a selected service is touched by its named ARN, its groups and its subnets', () => {
    const none = {
      groupIds: [],
      networkInterfaceIds: [],
      vpcIds: [],
      subnetIds: [],
      routeTableIds: [],
      routeTableAssociationIds: [],
      networkAclIds: [],
    };
    expect(ecsServiceEvents.touchedBy([SERVICE], none)).toBe(true);
    expect(ecsServiceEvents.touchedBy([], { ...none, groupIds: ['sg-0123456789abcdef0'] })).toBe(true);
    expect(ecsServiceEvents.touchedBy([], none)).toBe(false);
  });
});
