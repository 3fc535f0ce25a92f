/**
 * Timestream for InfluxDB in the lifecycle: identifiers are letters and digits (no hyphen); listed
 * whole by the unit that runs the region checks, and only then may an identifier absent from it be archived.
 */
import type { KindLifecycle } from '../lifecycle.js';

export const timestreamDbLifecycle: KindLifecycle = {
  name: 'timestream-db',
  owns: (id) => /^[A-Za-z0-9]{1,64}$/.test(id),
  listedWhole: (cov) => cov.timestreamListed === true,
  confirmGone: false,
  coverage: (listing) => (!listing ? {} : listing.ok ? { timestreamListed: true } : { timestreamFailed: listing.reason }),
  incomplete: (cov) =>
    cov.timestreamFailed
      ? `Timestream for InfluxDB of ${cov.accountId}/${cov.region} could not be listed: ${cov.timestreamFailed}`
      : undefined,
};
