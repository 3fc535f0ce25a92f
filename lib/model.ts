/**
 * The plain data that flows between the three stages of the engine:
 * discover (records) → gather (evidence) → evaluate (findings) → publish/render.
 * Nothing in this file does I/O.
 */
import type { HostEvidence, HostProcess } from './host-evidence.js';

export type { HostEvidence, HostProcess };
export { fail, ok, type Result } from './result.js';
// By stage, in the order data flows through them (lib/model/).
export * from './model/inventory.js';
export * from './model/evidence.js';
export * from './model/checks.js';
export * from './model/findings.js';
