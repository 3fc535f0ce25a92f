/**
 * The explicit registry: every check influxguard runs, in report order, by family.
 * A check not listed here does not run; ids are stable (see CHECKS.md). Each check
 * describes itself (`Described`): its compliance mappings and its row of the check
 * tables, which scripts/check-tables.ts writes into docs/checks.md, one table per family.
 */
import { AUDIT_CHECKS } from './audit.js';
import { EBS_CHECKS } from './ebs.js';
import { ECS_CHECKS } from './ecs.js';
import { ENDPOINT_CHECKS } from './endpoint.js';
import { HOST_CHECKS } from './host.js';
import { INSTANCE_CHECKS } from './instance.js';
import { NET_CHECKS } from './net.js';
import type { Described } from './support.js';
import { TIMESTREAM_CHECKS } from './timestream.js';
import { V3_CHECKS } from './v3.js';

/** The families, each one table of docs/checks.md (its marker there is the family's name), in report order. */
export const FAMILIES = {
  network: [...NET_CHECKS, ...EBS_CHECKS, ...INSTANCE_CHECKS],
  endpoint: ENDPOINT_CHECKS,
  audit: AUDIT_CHECKS,
  host: HOST_CHECKS,
  timestream: TIMESTREAM_CHECKS,
  ecs: ECS_CHECKS,
  v3: V3_CHECKS,
} as const satisfies Record<string, readonly Described[]>;

export const CHECKS: readonly Described[] = Object.values(FAMILIES).flat();

export const checkById = (id: string): Described | undefined => CHECKS.find((c) => c.id === id);
