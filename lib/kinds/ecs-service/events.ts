/**
 * `ecs-service` in event-driven rescans (lib/kinds/events.ts): `CreateService`, `UpdateService` and `DeleteService`
 * name a service (rescanned as named: the region unit lists them all). `TagResource`/`UntagResource` on a service's
 * (or a standalone task's) ARN rescan it when a watched key changes (a selector key); tags on a task definition or a
 * cluster change nothing judged. `RegisterTaskDefinition` changes nothing that runs and names nothing; a standalone `RunTask` names no
 * service (`*`: the region, under the region rate limit). A selected service is touched by its groups and subnets.
 */
import type { EcsService } from '../../model.js';
import { eventsOf, rec, type KindEvents, type RecordNamed } from '../events.js';

const SOURCE = 'ecs.amazonaws.com';
const SERVICE_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]{1,30}:\d{12}:service\/[A-Za-z0-9_-]{1,255}\/[A-Za-z0-9_-]{1,255}$/;

/** A standalone task's ARN (new form `task/CLUSTER/ID`, old form `task/ID`): its tags can select it. */
const TASK_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]{1,30}:\d{12}:task\/(?:[A-Za-z0-9_-]{1,255}\/)?[a-f0-9-]{1,64}$/;

const arnOf = (v: unknown): string[] => (typeof v === 'string' && v.length <= 600 && SERVICE_ARN.test(v) ? [v] : []);

/** A tag change on a service's or standalone task's ARN, when a watched key changes (ECS tags are `[{ key, value }]`). */
function tagged(req: Record<string, unknown>, watched: (key: string) => boolean): RecordNamed | undefined {
  const arn = req.resourceArn;
  if (typeof arn !== 'string' || arn.length > 600 || !(SERVICE_ARN.test(arn) || TASK_ARN.test(arn))) return undefined;
  const keys = Array.isArray(req.tagKeys) ? req.tagKeys : Array.isArray(req.tags) ? req.tags.map((t) => rec(t).key) : [];
  return keys.some((k) => typeof k === 'string' && watched(k)) ? { ids: [arn] } : undefined;
}

export const ecsServiceEvents: KindEvents<EcsService> = {
  noun: 'Amazon ECS services',
  named: (r, watched) => {
    if (r.eventSource !== SOURCE) return undefined;
    const req = r.requestParameters;
    // `TagResource`/`UntagResource` are listed once (under Timestream's source in lib/kinds/cloudtrail-events.json):
    // the rule matches any listed name from any listed source, so ECS's reach here, recognised by the ARN they name.
    if (r.eventName === 'TagResource' || r.eventName === 'UntagResource') return tagged(req, watched);
    if (!eventsOf(SOURCE).includes(r.eventName)) return undefined;
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
