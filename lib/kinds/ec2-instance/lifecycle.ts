/** EC2 instances in the lifecycle: `i-…` ids; each work unit lists its own, so a complete coverage lists them whole. */
import type { KindLifecycle } from '../lifecycle.js';

const EC2_INSTANCE_ID = /^i-/;

export const ec2InstanceLifecycle: KindLifecycle = {
  name: 'ec2-instance',
  owns: (id) => EC2_INSTANCE_ID.test(id),
  listedWhole: () => true,
  confirmGone: true,
  coverage: () => ({}),
  incomplete: () => undefined,
};
