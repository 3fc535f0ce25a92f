/**
 * A containerised InfluxDB in every output: `instanceId` is the service ARN (a standalone task's ARN), the resource
 * `AwsEcsService` (CHECKS.md "InfluxDB on Amazon ECS"), headed by name, launch type and cluster.
 */
import type { EcsService, ResourceRef, SubjectRef } from '../../model.js';

/** Its resource in ASFF: the service (a standalone task has no ASFF type of its own: `Other`, its ARN). */
export const ecsServiceResource = (id: string): ResourceRef =>
  /:service\//.test(id) ? { type: 'AwsEcsService', id } : { type: 'Other', id };

export const ecsServiceSubject = (s: EcsService): SubjectRef => ({
  kind: 'ecs-service',
  accountId: s.accountId,
  region: s.region,
  id: s.arn,
  name: s.name,
  label: `${s.name} (ECS ${s.kind}${s.launchType ? ` on ${s.launchType}` : ''}, cluster ${s.clusterArn.split('/').pop()}${s.status ? `, ${s.status}` : ''}) ${s.accountId}/${s.region}`,
  resource: ecsServiceResource(s.arn),
  evidence: { ecs: s.kind, taskDefinition: s.taskDefinitionArn },
  exposure: 'TCP 8086 is reachable from the internet (a complete path to the service, see net.http-port-public)',
});
