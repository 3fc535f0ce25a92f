/**
 * Containerised InfluxDB in the lifecycle: ECS service and task ARNs; listed whole by the unit that runs the region
 * checks when ECS could be listed, and only then is one absent from it (a deleted service, a stopped standalone
 * task) archived. A listing that failed archives nothing.
 */
import type { KindLifecycle } from '../lifecycle.js';

/** A service or task ARN (long format: `service/CLUSTER/NAME`, `task/CLUSTER/ID`), whole: a finding Id is read back by it. */
export const ECS_SUBJECT = /^arn:aws[a-z-]*:ecs:[a-z0-9-]{1,30}:\d{12}:(?:service|task)\/[A-Za-z0-9_-]{1,255}\/[A-Za-z0-9_-]{1,255}$/;

export const ecsServiceLifecycle: KindLifecycle = {
  name: 'ecs-service',
  owns: (id) => ECS_SUBJECT.test(id),
  listedWhole: (cov) => cov.ecsListed === true,
  confirmGone: false,
  coverage: (listing) => (!listing ? {} : listing.ok ? { ecsListed: true } : { ecsFailed: listing.reason }),
  incomplete: (cov) => (cov.ecsFailed ? `Amazon ECS of ${cov.accountId}/${cov.region} could not be listed: ${cov.ecsFailed}` : undefined),
};
