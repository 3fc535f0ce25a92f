/**
 * `ecs-service` in event-driven rescans (lib/kinds/events.ts): `CreateService`, `UpdateService` and `DeleteService`
 * name a service (rescanned as named: the region unit lists them all). Tag changes on a service are not watched:
 * the next scheduled scan sees them. `RegisterTaskDefinition` changes nothing that runs and names nothing; a standalone `RunTask` names no
 * service (`*`: the region, under the region rate limit). A selected service is touched by its groups and subnets.
 */
import type { EcsService } from '../../model.js';
import { eventsOf, rec, type KindEvents } from '../events.js';

const SOURCE = 'ecs.amazonaws.com';
const SERVICE_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]{1,30}:\d{12}:service\/[A-Za-z0-9_-]{1,255}\/[A-Za-z0-9_-]{1,255}$/;

const arnOf = (v: unknown): string[] => (typeof v === 'string' && v.length <= 600 && SERVICE_ARN.test(v) ? [v] : []);

export const ecsServiceEvents: KindEvents<EcsService> = {
  noun: 'Amazon ECS services',
  named: (r) => {
    if (r.eventSource !== SOURCE || !eventsOf(SOURCE).includes(r.eventName)) return undefined;
    const req = r.requestParameters;
    const res = r.responseElements;
    switch (r.eventName) {
      case 'RegisterTaskDefinition':
        return undefined;
      case 'RunTask':
        return { ids: ['*'], why: 'a standalone task was started (RunTask)' };
      default: {
        const ids = [...arnOf(rec(res.service).serviceArn), ...arnOf(req.service)];
        return { ids: ids.length ? [ids[0]!] : ['*'], why: `${r.eventName} without a readable service ARN` };
      }
    }
  },
  touchedBy: (ids, n) => !!(ids.length || n.groupIds.length || n.subnetIds.length),
  namedIds: 'asNamed',
  behindBalancers: false,
  selected: (s) => ({
    id: s.arn,
    securityGroupIds: s.securityGroupIds,
    ...(s.vpcId ? { vpcId: s.vpcId } : {}),
    subnetIds: s.subnetIds,
    networkInterfaceIds: s.tasks.flatMap((t) => t.networkInterfaceIds),
    privateIps: s.tasks.flatMap((t) => t.privateIps),
  }),
  pending: { key: 'serviceArns', attribute: 'ecs' },
};
