/**
 * `ec2-instance` in event-driven rescans (lib/kinds/events.ts): the EC2 events that name instances (their groups,
 * user data, metadata options, launch, start, watched tags, volumes, an address) and the load-balancer events that name targets; a selected
 * instance is touched by its groups, interfaces, subnets and VPC, and is behind a load balancer by its id or address.
 */
import type { Instance } from '../../model.js';
import { eventsOf, itemsOf, rec, str, type KindEvents, type RecordNamed } from '../events.js';

const INSTANCE = /^i-[0-9a-f]{8,17}$/;
const ENI = /^eni-[0-9a-f]{8,17}$/;
const ELB = 'elasticloadbalancing.amazonaws.com';
const EC2 = 'ec2.amazonaws.com';
/** The load-balancer events (the listener, rule, target and group changes that move a path to a target). */
export const ELB_EVENTS = eventsOf(ELB);

/** An EC2 event's instances (undefined: not an instance event, or one that changes nothing judged). */
function ec2Named(eventName: string, req: Record<string, unknown>, res: Record<string, unknown>, watched: (key: string) => boolean) {
  switch (eventName) {
    case 'ModifyInstanceAttribute':
      // Its groups, or its user data (secrets.user-data: changed while the instance is stopped).
      if (!req.groupSet && req.attribute !== 'groupSet' && !req.userData && req.attribute !== 'userData') return undefined;
      return { ids: str(req.instanceId, INSTANCE) };
    case 'ModifyInstanceMetadataOptions':
      // IMDSv1 on or off (ec2.imds-v1-allowed).
      return { ids: str(rec(req.ModifyInstanceMetadataOptionsRequest).InstanceId ?? req.instanceId, INSTANCE) };
    case 'RunInstances':
      return { ids: itemsOf(res.instancesSet, 'instanceId').filter((i) => INSTANCE.test(i)) };
    case 'StartInstances':
      return { ids: itemsOf(req.instancesSet, 'instanceId').filter((i) => INSTANCE.test(i)) };
    case 'CreateTags':
    case 'DeleteTags': {
      if (!itemsOf(req.tagSet, 'key').some(watched)) return undefined;
      const instances = itemsOf(req.resourcesSet, 'resourceId').filter((i) => INSTANCE.test(i));
      return instances.length ? { ids: instances } : undefined;
    }
    case 'AttachVolume':
    case 'DetachVolume':
      // A detach may name only the volume (it is attached to one instance): then the region.
      return { ids: str(req.instanceId, INSTANCE), why: `${eventName} without an instance id` };
    case 'AssociateAddress':
      return { ids: str(req.instanceId, INSTANCE), also: { networkInterfaceIds: str(req.networkInterfaceId, ENI) } };
    default:
      return undefined;
  }
}

export const ec2InstanceEvents: KindEvents<Instance> = {
  noun: 'EC2 instances',
  named: (r, watched): RecordNamed | undefined => {
    const req = r.requestParameters;
    if (r.eventSource === ELB) {
      if (!ELB_EVENTS.includes(r.eventName)) return undefined;
      const targets = Array.isArray(req.targets) ? req.targets.flatMap((t) => str(rec(t).id, INSTANCE)) : [];
      const classic = Array.isArray(req.instances) ? req.instances.flatMap((t) => str(rec(t).instanceId, INSTANCE)) : [];
      return { ids: [...targets, ...classic], why: 'a load balancer change that names no instance' };
    }
    return r.eventSource === EC2 ? ec2Named(r.eventName, req, r.responseElements, watched) : undefined;
  },
  touchedBy: (ids, n) => !!(ids.length || n.groupIds.length || n.networkInterfaceIds.length || n.vpcIds.length || n.subnetIds.length),
  namedIds: 'listed',
  behindBalancers: true,
  selected: (i) => ({
    id: i.instanceId,
    securityGroupIds: i.securityGroupIds,
    ...(i.vpcId ? { vpcId: i.vpcId } : {}),
    subnetIds: i.interfaces.flatMap((n) => (n.subnetId ? [n.subnetId] : [])),
    networkInterfaceIds: i.interfaces.map((n) => n.id),
    privateIps: i.privateIps,
  }),
  pending: { key: 'instanceIds', attribute: 'ids' },
};
