import { SEVERITIES, isFailing, severityRank, type Check, type Finding, type Severity, type Summary } from './model.js';

const emptySummary = (): Summary => ({
  FAILED: 0,
  PASSED: 0,
  WARNING: 0,
  NOT_AVAILABLE: 0,
  suppressed: 0,
  bySeverity: Object.fromEntries(SEVERITIES.map((x) => [x, 0])) as Summary['bySeverity'],
});

/** Counts by status, and failing findings (FAILED, WARNING) by severity. */
export function summarise(findings: readonly Finding[]): Summary {
  const s = emptySummary();
  for (const f of findings) {
    s[f.status]++;
    if (f.suppression) s.suppressed++;
    if (isFailing(f.status)) s.bySeverity[f.severity]++;
  }
  return s;
}

/** The summary of several parts of one scan (a fan-out's units). */
export function mergeSummaries(parts: readonly Summary[]): Summary {
  const s = emptySummary();
  for (const p of parts) {
    for (const k of ['FAILED', 'PASSED', 'WARNING', 'NOT_AVAILABLE'] as const) s[k] += p[k];
    s.suppressed += p.suppressed ?? 0;
    for (const x of SEVERITIES) s.bySeverity[x] += p.bySeverity[x] ?? 0;
  }
  return s;
}

/** Stable report order: account, region, instance, endpoint, then registry order and resource. */
export function sortFindings(findings: Finding[], checks: readonly Check[]): Finding[] {
  const order = new Map(checks.map((c, i) => [c.id, i]));
  const key = (f: Finding) => [f.accountId ?? '', f.region ?? '', f.instanceId ?? '', f.endpoint ?? ''];
  return findings.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]!.localeCompare(kb[i]!);
    return (order.get(a.checkId) ?? 999) - (order.get(b.checkId) ?? 999) || a.resource.id.localeCompare(b.resource.id);
  });
}

type RiskKeys = Pick<Finding, 'checkId' | 'accountId' | 'region' | 'instanceId'> & {
  severity: Severity | string;
  resource: { id: string };
};

/** Worst first; ties broken by check, account, region, instance and resource, so that every run lists the same order. */
export function byRisk(a: RiskKeys, b: RiskKeys): number {
  const rank = (s: string) => severityRank(s as Severity);
  return (
    rank(b.severity) - rank(a.severity) ||
    a.checkId.localeCompare(b.checkId) ||
    (a.accountId ?? '').localeCompare(b.accountId ?? '') ||
    (a.region ?? '').localeCompare(b.region ?? '') ||
    (a.instanceId ?? '').localeCompare(b.instanceId ?? '') ||
    a.resource.id.localeCompare(b.resource.id)
  );
}
