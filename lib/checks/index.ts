/**
 * The explicit registry: every check influxguard runs, in report order.
 * A check not listed here does not run; ids are stable (see CHECKS.md).
 */
import type { Check } from '../model.js';
import { AUDIT_CHECKS } from './audit.js';
import { defaultEncryptionDisabled, volumeUnencrypted } from './ebs.js';
import { ENDPOINT_CHECKS } from './endpoint.js';
import { HOST_CHECKS } from './host.js';
import { portExposureChecks, unexpectedPortsOpen } from './net.js';
import { TIMESTREAM_CHECKS } from './timestream.js';

export const CHECKS: readonly Check[] = [
  ...portExposureChecks,
  unexpectedPortsOpen,
  volumeUnencrypted,
  defaultEncryptionDisabled,
  ...ENDPOINT_CHECKS,
  ...AUDIT_CHECKS,
  ...HOST_CHECKS,
  ...TIMESTREAM_CHECKS,
];

export const checkById = (id: string): Check | undefined => CHECKS.find((c) => c.id === id);
