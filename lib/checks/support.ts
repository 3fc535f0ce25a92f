/** Small helpers shared by check families. Pure. */
import type { Result } from '../model.js';

/** Thrown by a check that reads evidence that failed; the engine turns it into NOT_AVAILABLE. */
export class EvidenceUnavailable extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'EvidenceUnavailable';
  }
}

/** The evidence's value, or EvidenceUnavailable with its reason. */
export function evidenceValue<T>(r: Result<T>): T {
  if (!r.ok) throw new EvidenceUnavailable(r.reason);
  return r.value;
}

/** ASFF finding types shared by check families (Security Hub's taxonomy). */
export const ASFF_TYPES = {
  guidance: ['Software and Configuration Checks/Industry and Regulatory Standards/InfluxData security guidance'],
  network: ['Software and Configuration Checks/AWS Security Best Practices/Network Reachability'],
  bestPractices: ['Software and Configuration Checks/AWS Security Best Practices'],
  encryption: ['Software and Configuration Checks/AWS Security Best Practices', 'Effects/Data Exposure'],
  cve: ['Software and Configuration Checks/Vulnerabilities/CVE'],
} as const satisfies Record<string, readonly string[]>;
