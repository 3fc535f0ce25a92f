/** `ecs-service` in event-driven rescans (lib/kinds/ecs-service/events.ts): which CloudTrail records name a service. */
import { describe, expect, it } from '@jest/globals';
import { ecsServiceEvents } from '../../lib/kinds/ecs-service/events.js';

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
