/**
 * The explicit registry: every check influxguard runs, in report order.
 * A check not listed here does not run; ids are stable (see CHECKS.md).
 */
import type { Check } from '../model.js';
import { defaultEncryptionDisabled, volumeUnencrypted } from './ebs.js';
import { portExposureChecks, unexpectedPortsOpen } from './net.js';

export const CHECKS: readonly Check[] = [...portExposureChecks, unexpectedPortsOpen, volumeUnencrypted, defaultEncryptionDisabled];

export const checkById = (id: string): Check | undefined => CHECKS.find((c) => c.id === id);
