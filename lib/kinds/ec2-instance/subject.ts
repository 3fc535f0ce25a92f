/** An EC2 instance in every output: `instanceId` its id, the resource `AwsEc2Instance`, headed by name, role and state. */
import type { Instance, ResourceRef, SubjectRef } from '../../model.js';

/** Its resource in ASFF (and the JSON's `resource` when a check names none). */
export const ec2InstanceResource = (id: string): ResourceRef => ({ type: 'AwsEc2Instance', id });

export const ec2InstanceSubject = (i: Instance): SubjectRef => ({
  kind: 'ec2-instance',
  accountId: i.accountId,
  region: i.region,
  id: i.instanceId,
  ...(i.name !== undefined ? { name: i.name } : {}),
  label: `${i.instanceId}${i.name ? ` ${i.name}` : ''} (${i.role}, ${i.state}) ${i.accountId}/${i.region}`,
  resource: ec2InstanceResource(i.instanceId),
  exposure: 'TCP 8086 is reachable from the internet (a complete path, see net.http-port-public)',
});
