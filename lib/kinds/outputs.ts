/**
 * What publishing and the outputs know of each kind without loading its gatherers (pure): how the lifecycle
 * lists and archives its subjects, and the ASFF resource a subject id names. In registry order
 * (lib/kinds/index.ts; test/structure/kinds.test.ts keeps the two lists equal).
 */
import type { ResourceRef } from '../model.js';
import { ec2InstanceLifecycle } from './ec2-instance/lifecycle.js';
import { ec2InstanceResource } from './ec2-instance/subject.js';
import { ecsServiceLifecycle } from './ecs-service/lifecycle.js';
import { ecsServiceResource } from './ecs-service/subject.js';
import type { KindLifecycle } from './lifecycle.js';
import { timestreamDbLifecycle } from './timestream-db/lifecycle.js';

export interface KindOutputs {
  lifecycle: KindLifecycle;
  /**
   * The ASFF resource of a subject of this kind, when ASFF has a type for it: it accompanies the findings about
   * one of its groups, volumes or load balancers. Absent: the subject is its findings' own (`Other`) resource.
   */
  asffSubject?: (id: string) => ResourceRef;
}

export const KIND_OUTPUTS: readonly KindOutputs[] = [
  { lifecycle: ec2InstanceLifecycle, asffSubject: ec2InstanceResource },
  { lifecycle: timestreamDbLifecycle },
  { lifecycle: ecsServiceLifecycle, asffSubject: ecsServiceResource },
];

/** The kind that a finding's subject id belongs to (first match in registry order). */
export const kindOfSubject = (id: string): KindOutputs | undefined => KIND_OUTPUTS.find((k) => k.lifecycle.owns(id));
