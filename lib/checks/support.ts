/** Small helpers shared by check families. Pure. */
import type { Check, Result } from '../model.js';
import type { Mapping } from './compliance.js';

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

/**
 * What a check says about itself beyond what the engine runs: its compliance mappings and its row of
 * the check tables in docs/checks.md (scripts/check-tables.ts writes them from the registry).
 */
export interface SelfDescribed {
  /** NIST SP 800-53 r5, CIS Controls v8 and PCI DSS v4.0.1 controls it supports, each with its source (compliance.ts). */
  compliance: Mapping;
  /** When it FAILS, for people (Markdown, links relative to docs/): the tables' "FAILED when" column. */
  failedWhen: string;
  /** When its findings take another severity than the base one, and which (Markdown): after the base in the tables. */
  otherSeverities?: string;
}

/** A registered check: what the engine runs, and its self-description. */
export type Described<C extends Check = Check> = C & SelfDescribed;

/** Names a finding lists at most, when they come from outside (a server's token list may hold 100,000). */
export const LISTED_MAX = 50;

/** At most LISTED_MAX of `items`, and how many were left out (the finding says how many; the count stays exact). */
export function firstListed<T>(items: readonly T[], max = LISTED_MAX): { shown: T[]; omitted: number } {
  return { shown: items.slice(0, max), omitted: Math.max(0, items.length - max) };
}

/** `a, b, c and 12 more`: a bounded list of names for a summary. */
export function listedNames(names: readonly string[], max = LISTED_MAX): string {
  const { shown, omitted } = firstListed(names, max);
  return `${shown.join(', ')}${omitted ? ` and ${omitted} more` : ''}`;
}
