/**
 * Table output for people: findings grouped by instance (or account/region,
 * or endpoint), worst group first, worst finding first; passed checks are
 * counted, not listed. Colour only when asked (the CLI asks on a TTY).
 * Every string that came from outside (tags, servers, collectors, AWS) goes
 * through printable(): the only control sequences are our own colours.
 */
import {
  SEVERITIES,
  isFailing,
  severityRank,
  type Finding,
  type Instance,
  type ScanDocument,
  type Severity,
  type Status,
  type TimestreamDb,
} from '../model.js';
import { printable } from '../util/text.js';

const ANSI = {
  reset: '\x1b[0m',
  bold: '\x1b[1m',
  dim: '\x1b[2m',
  red: '\x1b[31m',
  yellow: '\x1b[33m',
  green: '\x1b[32m',
  magenta: '\x1b[35m',
  cyan: '\x1b[36m',
};
const STATUS_ORDER: Status[] = ['FAILED', 'WARNING', 'NOT_AVAILABLE', 'PASSED'];
const SEVERITY_COLOUR: Record<Severity, string> = {
  CRITICAL: ANSI.magenta,
  HIGH: ANSI.red,
  MEDIUM: ANSI.yellow,
  LOW: ANSI.cyan,
  INFORMATIONAL: ANSI.dim,
};
const STATUS_COLOUR: Record<Status, string> = { FAILED: ANSI.red, WARNING: ANSI.yellow, NOT_AVAILABLE: ANSI.dim, PASSED: ANSI.green };

export interface TableOptions {
  color: boolean;
  /** List passed findings too. */
  showPassed?: boolean;
  instances?: readonly Instance[];
  /** Timestream for InfluxDB instances and clusters, for their headings. */
  databases?: readonly TimestreamDb[];
}

const weight = (f: Finding) => (isFailing(f.status) ? severityRank(f.severity) + 1 : 0);
const rowOrder = (a: Finding, b: Finding) =>
  STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) ||
  severityRank(b.severity) - severityRank(a.severity) ||
  a.checkId.localeCompare(b.checkId);

/** How many paths of one finding the table shows (the JSON has them all). */
const PATHS_SHOWN = 3;

/**
 * A finding's paths from the internet (evidence `paths`, see lib/reach.ts), one
 * line each, hop by hop: `broken path: address 54.1.2.3 → … ✗ why`.
 */
function pathLines(f: Finding): string[] {
  const paths = Array.isArray(f.evidence.paths)
    ? (f.evidence.paths as { state?: string; hops?: unknown; broken?: unknown; missing?: unknown }[])
    : [];
  // The first open path is already in the summary line.
  const firstOpen = paths.findIndex((p) => p.state === 'open');
  return paths
    .filter((_, i) => i !== firstOpen)
    .slice(0, PATHS_SHOWN)
    .flatMap((p) => {
      const hops = Array.isArray(p.hops) ? (p.hops as { hop?: unknown; id?: unknown; detail?: unknown }[]) : [];
      if (!hops.length) return [];
      const text = hops.map((h) => `${String(h.hop)} ${String(h.id)}${h.detail ? ` (${String(h.detail)})` : ''}`).join(' → ');
      const label = p.state === 'open' ? 'path' : p.state === 'closed' ? 'broken path' : 'unread path';
      const why = typeof p.broken === 'string' ? ` ✗ ${p.broken}` : typeof p.missing === 'string' ? ` ? ${p.missing}` : '';
      return [printable(`${label}: ${text}${why}`)];
    });
}

export function renderTable(doc: ScanDocument, opts: TableOptions): string {
  const paint = (code: string, text: string) => (opts.color ? `${code}${text}${ANSI.reset}` : text);
  const byId = new Map((opts.instances ?? []).map((i) => [i.instanceId, i]));
  const dbById = new Map((opts.databases ?? []).map((d) => [d.id, d]));
  const groups = new Map<string, Finding[]>();
  for (const f of doc.findings) {
    const key = f.instanceId ?? f.endpoint ?? `${f.accountId ?? ''} ${f.region ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const heading = (key: string, fs: Finding[]) => {
    const f = fs[0]!;
    const i = f.instanceId ? byId.get(f.instanceId) : undefined;
    if (i) return printable(`${i.instanceId}${i.name ? ` ${i.name}` : ''} (${i.role}, ${i.state}) ${i.accountId}/${i.region}`);
    const d = f.instanceId ? dbById.get(f.instanceId) : undefined;
    if (d)
      return printable(
        `${d.id}${d.name ? ` ${d.name}` : ''} (Timestream for InfluxDB ${d.kind}${d.status ? `, ${d.status}` : ''}) ${d.accountId}/${d.region}`,
      );
    if (f.instanceId) return printable(`${f.instanceId} ${f.accountId ?? ''}/${f.region ?? ''}`);
    if (f.endpoint) return printable(f.endpoint);
    return printable(`account ${key.trim().replace(' ', ' / ')}`);
  };
  const ordered = [...groups].sort(([ka, a], [kb, b]) => Math.max(...b.map(weight)) - Math.max(...a.map(weight)) || ka.localeCompare(kb));

  const lines: string[] = [];
  lines.push(
    paint(ANSI.bold, `influxguard scan ${printable(doc.scanId)}`) +
      paint(ANSI.dim, printable(` · accounts ${doc.scope.accounts.join(', ') || '-'} · regions ${doc.scope.regions.join(', ') || '-'}`)),
  );
  const checkWidth = Math.max(10, ...doc.findings.map((f) => printable(f.checkId).length));
  const resWidth = Math.max(8, ...doc.findings.map((f) => printable(f.resource.id).length));
  for (const [key, fs] of ordered) {
    lines.push('', paint(ANSI.bold, heading(key, fs)));
    const shown = fs.filter((f) => opts.showPassed || f.status !== 'PASSED').sort(rowOrder);
    for (const f of shown) {
      const summary = printable(typeof f.evidence.summary === 'string' ? f.evidence.summary : f.title);
      lines.push(
        `  ${paint(STATUS_COLOUR[f.status], f.status.padEnd(13))} ${paint(SEVERITY_COLOUR[f.severity], f.severity.padEnd(13))} ${printable(f.checkId).padEnd(checkWidth)}  ${printable(f.resource.id).padEnd(resWidth)}  ${summary}`,
      );
      for (const p of pathLines(f)) lines.push(paint(ANSI.dim, `${' '.repeat(31)}${p}`));
    }
    const passed = fs.filter((f) => f.status === 'PASSED').length;
    if (!opts.showPassed && passed) lines.push(paint(ANSI.dim, `  ${passed} passed`));
  }
  const s = doc.summary;
  const sev = [...SEVERITIES]
    .reverse()
    .filter((x) => s.bySeverity[x] > 0)
    .map((x) => `${s.bySeverity[x]} ${x}`);
  lines.push(
    '',
    `${paint(ANSI.bold, 'Summary:')} ${paint(ANSI.red, `${s.FAILED} failed`)}${sev.length ? ` (${sev.join(', ')})` : ''}, ${s.WARNING} warning, ${s.NOT_AVAILABLE} not available, ${paint(ANSI.green, `${s.PASSED} passed`)} · ${groups.size} subjects · ${doc.findings.length} findings`,
  );
  return `${lines.join('\n')}\n`;
}
