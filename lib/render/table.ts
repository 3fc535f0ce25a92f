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
  /** The command that produced the document: a probe has no accounts or regions to head it with. */
  command?: 'scan' | 'probe';
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
  const lines: string[] = [];
  const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  lines.push(
    opts.command === 'probe'
      ? paint(ANSI.bold, `influxguard probe ${printable(doc.scanId)}`) + paint(ANSI.dim, ` · ${plural(groups.size, 'endpoint')}`)
      : paint(ANSI.bold, `influxguard scan ${printable(doc.scanId)}`) +
          paint(
            ANSI.dim,
            printable(` · accounts ${doc.scope.accounts.join(', ') || '-'} · regions ${doc.scope.regions.join(', ') || '-'}`),
          ),
  );
  const rows = [...groups].map(([key, fs]) => [key, fs, tableRows(fs, opts.showPassed ?? false)] as const);
  const cells = rows.flatMap(([, , rs]) => rs.filter((r) => r.checkId !== undefined));
  const checkWidth = Math.max(10, ...cells.map((r) => printable(r.checkId ?? '').length));
  const resWidth = Math.max(8, ...cells.map((r) => printable(r.resourceId ?? '').length));
  const STATUS_W = 13;
  const SEVERITY_W = 13;
  lines.push(
    '',
    paint(
      ANSI.dim,
      `  ${'STATUS'.padEnd(STATUS_W)} ${'SEVERITY'.padEnd(SEVERITY_W)} ${'CHECK'.padEnd(checkWidth)}  ${'RESOURCE'.padEnd(resWidth)}  DETAIL`,
    ),
  );
  for (const [key, fs, rs] of rows.sort(
    ([ka, a], [kb, b]) => Math.max(...b.map(weight)) - Math.max(...a.map(weight)) || ka.localeCompare(kb),
  )) {
    lines.push('', paint(ANSI.bold, heading(key, fs)));
    for (const r of rs) {
      const lead = `  ${paint(STATUS_COLOUR[r.status], r.status.padEnd(STATUS_W))} ${paint(SEVERITY_COLOUR[r.severity], r.severity.padEnd(SEVERITY_W))} `;
      lines.push(
        r.checkId === undefined
          ? `${lead}${printable(r.detail)}`
          : `${lead}${printable(r.checkId).padEnd(checkWidth)}  ${printable(r.resourceId ?? '').padEnd(resWidth)}  ${printable(r.detail)}`,
      );
      for (const p of r.paths ?? []) lines.push(paint(ANSI.dim, `${' '.repeat(31)}${p}`));
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
    `${paint(ANSI.bold, 'Summary:')} ${paint(ANSI.red, `${s.FAILED} failed`)}${sev.length ? ` (${sev.join(', ')})` : ''}, ${s.WARNING} warning, ${s.NOT_AVAILABLE} not available, ${paint(ANSI.green, `${s.PASSED} passed`)} · ${plural(groups.size, 'subject')} · ${plural(doc.findings.length, 'finding')}`,
  );
  return `${lines.join('\n')}\n`;
}

interface Row {
  status: Status;
  severity: Severity;
  /** Absent on a collapsed line, whose detail spans the check and resource columns. */
  checkId?: string;
  resourceId?: string;
  detail: string;
  /** Its paths from the internet, hop by hop, printed under it. */
  paths?: string[];
}

/**
 * One subject's lines, worst first. NOT_AVAILABLE findings of the subject that share one reason
 * collapse into one line ("11 endpoint checks not evaluated: …"); the JSON keeps each finding.
 */
function tableRows(fs: readonly Finding[], showPassed: boolean): Row[] {
  const shown = fs.filter((f) => showPassed || f.status !== 'PASSED').sort(rowOrder);
  const reasonOf = (f: Finding) => (f.status === 'NOT_AVAILABLE' && typeof f.evidence.reason === 'string' ? f.evidence.reason : undefined);
  const byReason = new Map<string, Finding[]>();
  for (const f of shown) {
    const reason = reasonOf(f);
    if (reason !== undefined) byReason.set(reason, [...(byReason.get(reason) ?? []), f]);
  }
  const rows: Row[] = [];
  for (const f of shown) {
    const reason = reasonOf(f);
    const same = reason === undefined ? [] : byReason.get(reason)!;
    if (same.length > 1) {
      if (same[0] !== f) continue;
      const kind = same.every((x) => x.endpoint) ? 'endpoint checks' : 'checks';
      rows.push({ status: f.status, severity: f.severity, detail: `${same.length} ${kind} not evaluated: ${reason}` });
      continue;
    }
    rows.push({
      status: f.status,
      severity: f.severity,
      checkId: f.checkId,
      resourceId: f.resource.id,
      detail: typeof f.evidence.summary === 'string' ? f.evidence.summary : f.title,
      // What could not be decided (e.g. reachability): the severity shown may be lower than the real one.
      paths: [...(typeof f.evidence.incomplete === 'string' ? [printable(`incomplete: ${f.evidence.incomplete}`)] : []), ...pathLines(f)],
    });
  }
  return rows;
}
