import { SEVERITIES, type Finding, type Summary } from './model.js';

/** Counts by status, and failing findings (FAILED, WARNING) by severity. */
export function summarise(findings: readonly Finding[]): Summary {
  const s: Summary = { FAILED: 0, PASSED: 0, WARNING: 0, NOT_AVAILABLE: 0, bySeverity: Object.fromEntries(SEVERITIES.map((x) => [x, 0])) as Summary['bySeverity'] };
  for (const f of findings) {
    s[f.status]++;
    if (f.status === 'FAILED' || f.status === 'WARNING') s.bySeverity[f.severity]++;
  }
  return s;
}
