/**
 * What the table and the HTML report group findings under, and in which order: one instance (or
 * Timestream database), one endpoint (a probe), or one account and region (account-wide checks).
 * Both renderers use this one order, so a report reads like the table it accompanies.
 */
import { STATUSES, isFailing, severityRank, type Finding, type ScanDocument } from '../model.js';

export type SubjectKind = 'instance' | 'endpoint' | 'account';

export interface Subject {
  key: string;
  kind: SubjectKind;
  /** Worst first: FAILED, WARNING, NOT_AVAILABLE, PASSED; then the most severe; then by check id. */
  findings: Finding[];
}

export const subjectKey = (f: Finding): string => f.instanceId ?? f.endpoint ?? `${f.accountId ?? '-'}/${f.region ?? '-'}`;
const kindOf = (f: Finding): SubjectKind => (f.instanceId ? 'instance' : f.endpoint ? 'endpoint' : 'account');

export const findingOrder = (a: Finding, b: Finding): number =>
  STATUSES.indexOf(a.status) - STATUSES.indexOf(b.status) ||
  severityRank(b.severity) - severityRank(a.severity) ||
  a.checkId.localeCompare(b.checkId);

/** The most severe failing (FAILED or WARNING) finding's rank, -1 when nothing fails. */
export const worstFailing = (s: Subject): number =>
  s.findings.reduce((worst, f) => (isFailing(f.status) ? Math.max(worst, severityRank(f.severity)) : worst), -1);
export const failingCount = (s: Subject): number => s.findings.reduce((n, f) => n + (isFailing(f.status) ? 1 : 0), 0);

/** The findings grouped by subject: the worst failing severity first, then the most failing findings, then by key. */
export function subjects(findings: readonly Finding[]): Subject[] {
  const byKey = new Map<string, Subject>();
  for (const f of findings) {
    const key = subjectKey(f);
    const s = byKey.get(key);
    if (s) s.findings.push(f);
    else byKey.set(key, { key, kind: kindOf(f), findings: [f] });
  }
  const ranked = [...byKey.values()].map((s) => {
    s.findings.sort(findingOrder);
    return { s, worst: worstFailing(s), failing: failingCount(s) };
  });
  ranked.sort((a, b) => b.worst - a.worst || b.failing - a.failing || a.s.key.localeCompare(b.s.key));
  return ranked.map((r) => r.s);
}

const NOUNS: Record<SubjectKind, [string, string]> = {
  instance: ['instance', 'instances'],
  endpoint: ['endpoint', 'endpoints'],
  account: ['account region', 'account regions'],
};

/** `3 instances`, `1 endpoint`, `2 account regions`. */
export const countOf = (n: number, kind: SubjectKind): string => `${n} ${NOUNS[kind][n === 1 ? 0 : 1]}`;

/** `2 of 3 instances and 1 of 1 account region`: how many subjects of each kind present `has` something. */
export function ofEachKind(all: readonly Subject[], has: (s: Subject) => boolean): string {
  const kinds = (['instance', 'endpoint', 'account'] as const).filter((k) => all.some((s) => s.kind === k));
  const parts = kinds.map((k) => {
    const of = all.filter((s) => s.kind === k);
    return `${of.filter(has).length} of ${countOf(of.length, k)}`;
  });
  return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : (parts[0] ?? 'nothing');
}

/** What a partial scan's heading adds (` · partial: checks … · kinds …`); nothing for a whole scan. */
export const partialText = (scope: ScanDocument['scope']): string =>
  scope.checks || scope.kinds
    ? ` · partial:${scope.checks ? ` checks ${scope.checks.join(', ')}` : ''}${scope.checks && scope.kinds ? ' ·' : ''}${scope.kinds ? ` kinds ${scope.kinds.join(', ')}` : ''}`
    : '';
