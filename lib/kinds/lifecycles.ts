/**
 * Every kind's lifecycle, in registry order (lib/kinds/index.ts; test/structure/kinds.test.ts keeps the two
 * lists equal): what publishing and the scan's completeness loop over without loading the gatherers.
 */
import { ec2InstanceLifecycle } from './ec2-instance/lifecycle.js';
import type { KindLifecycle } from './lifecycle.js';
import { timestreamDbLifecycle } from './timestream-db/lifecycle.js';

export const LIFECYCLES: readonly KindLifecycle[] = [ec2InstanceLifecycle, timestreamDbLifecycle];
