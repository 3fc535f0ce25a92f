/** `ecs-service`: InfluxDB on Amazon ECS and Fargate, services and standalone tasks (the `instance` checks, as a service). */
import { defineKind } from '../kind.js';
import { discoverEcsServices, discoverEcsVpcs, ecsPathSubjects } from './discover.js';
import { ecsServiceEvents } from './events.js';
import { ecsServiceContexts, ecsServiceEndpoint, ecsServiceTargets } from './evidence.js';
import { ecsServiceLifecycle } from './lifecycle.js';
import { ecsServiceSubject } from './subject.js';

export const ECS_SERVICE = defineKind({
  name: 'ecs-service',
  scope: 'instance',
  // Its contexts carry `network` and `ecs` (no EBS, IMDS, user data or collector); its task definition is host evidence.
  evidence: { keys: ['network', 'ecs'], hostVerdicts: true },
  listedBy: 'region',
  discover: discoverEcsServices,
  listing: (inv) => inv.ecs,
  tagsOf: (s) => s.tags,
  groupIdsOf: (s) => [...s.securityGroupIds, ...(s.hostSecurityGroupIds ?? [])],
  paths: ecsPathSubjects,
  afterDiscovery: discoverEcsVpcs,
  targets: ecsServiceTargets,
  contexts: ecsServiceContexts,
  endpoint: ecsServiceEndpoint,
  subject: ecsServiceSubject,
  lifecycle: ecsServiceLifecycle,
  events: ecsServiceEvents,
});
