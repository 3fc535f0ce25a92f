/** `ec2-instance`: EC2 instances selected by tag (the `instance` checks). */
import { ok } from '../../model.js';
import { defineKind } from '../kind.js';
import { ec2InstanceEvents } from './events.js';
import { discoverEc2InstanceData, discoverEc2Instances } from './discover.js';
import { ec2InstanceContexts, ec2InstanceEndpoint, ec2InstanceTargets } from './evidence.js';
import { ec2InstanceLifecycle } from './lifecycle.js';
import { ec2InstanceSubject } from './subject.js';

export const EC2_INSTANCE = defineKind({
  name: 'ec2-instance',
  scope: 'instance',
  listedBy: 'unit',
  discover: discoverEc2Instances,
  listing: (inv) => ok(inv.instances),
  tagsOf: (s) => s.tags,
  groupIdsOf: (i) => i.securityGroupIds,
  paths: (inv) => inv.instances,
  afterDiscovery: discoverEc2InstanceData,
  targets: ec2InstanceTargets,
  contexts: ec2InstanceContexts,
  endpoint: ec2InstanceEndpoint,
  subject: ec2InstanceSubject,
  lifecycle: ec2InstanceLifecycle,
  events: ec2InstanceEvents,
});
