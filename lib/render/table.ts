/**
 * Table output for people: findings grouped by instance (or account/region,
 * or endpoint), worst group first, worst finding first; passed checks are
 * counted, not listed. Colour only when asked (the CLI asks on a TTY).
 * Every string that came from outside (tags, servers, collectors, AWS) goes
 * through printable(): the only control sequences are our own colours.
 */
import { SEVERITIES, type Finding, type ScanDocument, type Severity, type Status, type SubjectRef } from '../model.js';
import { acceptedText } from '../suppress.js';
import { printable } from '../util/text.js';
import { findingOrder, partialText, subjects } from './subjects.js';

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
  /** The scan's subjects of every kind, for their headings (each kind's label, lib/kinds/<kind>/subject.ts). */
  subjects?: readonly SubjectRef[];
  /** Terminal columns to fit (default DEFAULT_WIDTH, at least 80): long details wrap, long resource ids are shortened. */
  width?: number;
}

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

/** The width the table is laid out for when the terminal's is unknown (a pipe, a file). */
export const DEFAULT_WIDTH = 120;
/** STATUS and SEVERITY columns: `  NOT_AVAILABLE INFORMATIONAL `. */
const STATUS_W = 13;
const SEVERITY_W = 13;
const LEAD = 2 + STATUS_W + 1 + SEVERITY_W + 1;
/** The detail column keeps at least this much; the resource column gives way (long ids are shortened). */
const DETAIL_MIN = 24;
/** Where a long detail continues: under the CHECK column, a little in, across the rest of the line. */
const CONTINUED = LEAD + 2;
/** Instance, volume and security-group ids are never shortened (vol- ids are 21 characters). */
const RESOURCE_MIN = 21;

/** Our own colour codes: the only escape sequences left in a line (printable() removed every other). */
const COLOUR_CODE = /\x1b\[[0-9;]*m/g;
const visibleLength = (text: string) => [...text.replace(COLOUR_CODE, '')].length;

/**
 * `text` in lines of at most `width` terminal columns, continuation lines indented by `indent` spaces; words
 * longer than a line are cut. Hand-written rather than wrap-ansi (not a dependency): the text is already
 * printable, its only escapes are our colours, which count as nothing. A character counts as one column
 * (printable() leaves wide CJK characters, which take two: such a line may overrun by as many).
 */
function wrap(text: string, width: number, indent = 0): string[] {
  const room = (first: boolean) => Math.max(10, width - (first ? 0 : indent));
  const lines: string[] = [];
  let line = '';
  for (let word of text.split(' ')) {
    const gap = line === '' ? '' : ' ';
    if (visibleLength(line) + gap.length + visibleLength(word) <= room(lines.length === 0)) {
      line += gap + word;
      continue;
    }
    if (line !== '') lines.push(line);
    line = '';
    while (visibleLength(word) > room(lines.length === 0)) {
      const chars = [...word];
      const cut = room(lines.length === 0);
      lines.push(chars.slice(0, cut).join(''));
      word = chars.slice(cut).join('');
    }
    line = word;
  }
  lines.push(line);
  return lines.map((l, i) => (i === 0 ? l : `${' '.repeat(indent)}${l}`));
}

/** The words of `text` that fit in `width` columns, and the rest (all of it when even its first word does not fit). */
function splitAt(text: string, width: number): [string, string] {
  const [first = ''] = wrap(text, width);
  const cut = first.length < text.length && text[first.length] !== ' ';
  return cut ? ['', text] : [first, text.slice(first.length).trimStart()];
}

/**
 * An id in at most `width` characters: whole when it fits, else its start (an ARN keeps `arn:`), an ellipsis,
 * and as much of its end as fits, where the name and the unique part of an id are. The JSON and ASFF keep it whole.
 */
function shortId(id: string, width: number): string {
  const chars = [...id];
  if (chars.length <= width) return id;
  const head = id.startsWith('arn:') ? 4 : Math.floor((width - 1) / 3);
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - (width - 1 - head)).join('')}`;
}

export function renderTable(doc: ScanDocument, opts: TableOptions): string {
  const width = Math.max(80, opts.width ?? DEFAULT_WIDTH);
  const paint = (code: string, text: string) => (opts.color ? `${code}${text}${ANSI.reset}` : text);
  const byId = new Map((opts.subjects ?? []).map((s) => [s.id, s]));
  // Accepted risks (suppressed findings) are listed apart, after the groups, one line each.
  const groups = subjects(doc.findings.filter((f) => !f.suppression));
  const accepted = doc.findings.filter((f) => f.suppression).sort(findingOrder);
  const heading = (fs: readonly Finding[]) => {
    const f = fs[0]!;
    const s = f.instanceId ? byId.get(f.instanceId) : undefined;
    if (s) return printable(s.label);
    if (f.instanceId) return printable(`${f.instanceId} ${f.accountId ?? ''}/${f.region ?? ''}`);
    if (f.endpoint) return printable(f.endpoint);
    return printable(`account ${f.accountId ?? '-'} / ${f.region ?? '-'}`);
  };
  const lines: string[] = [];
  const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  lines.push(
    ...wrap(
      opts.command === 'probe'
        ? paint(ANSI.bold, `influxguard probe ${printable(doc.scanId)}`) + paint(ANSI.dim, ` · ${plural(groups.length, 'endpoint')}`)
        : paint(ANSI.bold, `influxguard scan ${printable(doc.scanId)}`) +
            paint(
              ANSI.dim,
              printable(
                ` · accounts ${doc.scope.accounts.join(', ') || '-'} · regions ${doc.scope.regions.join(', ') || '-'}${partialText(doc.scope)}`,
              ),
            ),
      width,
      2,
    ),
  );
  const rows = groups.map((g) => [g.findings, tableRows(g.findings, opts.showPassed ?? false)] as const);
  const cells = rows.flatMap(([, rs]) => rs.filter((r) => r.checkId !== undefined));
  const checkWidth = Math.max(10, ...cells.map((r) => visibleLength(printable(r.checkId ?? ''))));
  // The resource column is as wide as its longest id, up to what leaves the detail column its room.
  const resourceRoom = Math.max(RESOURCE_MIN, width - LEAD - checkWidth - 4 - DETAIL_MIN);
  const resWidth = Math.min(resourceRoom, Math.max(8, ...cells.map((r) => visibleLength(printable(r.resourceId ?? '')))));
  const detailAt = LEAD + checkWidth + 2 + resWidth + 2;
  lines.push(
    '',
    paint(
      ANSI.dim,
      `  ${'STATUS'.padEnd(STATUS_W)} ${'SEVERITY'.padEnd(SEVERITY_W)} ${'CHECK'.padEnd(checkWidth)}  ${'RESOURCE'.padEnd(resWidth)}  DETAIL`,
    ),
  );
  for (const [fs, rs] of rows) {
    lines.push('', ...wrap(heading(fs), width, 2).map((l) => paint(ANSI.bold, l)));
    for (const r of rs) {
      const lead = `  ${paint(STATUS_COLOUR[r.status], r.status.padEnd(STATUS_W))} ${paint(SEVERITY_COLOUR[r.severity], r.severity.padEnd(SEVERITY_W))} `;
      if (r.checkId === undefined) {
        const [first, ...more] = wrap(printable(r.detail), width - LEAD);
        lines.push(`${lead}${first}`, ...more.map((l) => `${' '.repeat(LEAD)}${l}`));
      } else {
        const detail = printable(r.detail);
        const [first = '', rest = ''] = splitAt(detail, width - detailAt);
        const resource = shortId(printable(r.resourceId ?? ''), resWidth);
        lines.push(
          `${lead}${printable(r.checkId).padEnd(checkWidth)}  ${resource.padEnd(resWidth)}  ${first}`.trimEnd(),
          ...(rest ? wrap(rest, width - CONTINUED).map((l) => `${' '.repeat(CONTINUED)}${l}`) : []),
        );
      }
      for (const p of r.paths ?? []) lines.push(...wrap(p, width - LEAD - 1, 2).map((l) => paint(ANSI.dim, `${' '.repeat(LEAD + 1)}${l}`)));
    }
    const passed = fs.filter((f) => f.status === 'PASSED').length;
    if (!opts.showPassed && passed) lines.push(paint(ANSI.dim, `  ${passed} passed`));
  }
  if (accepted.length) {
    lines.push('', paint(ANSI.bold, `Accepted risks (suppressed): ${accepted.length}`));
    for (const f of accepted) {
      const who = f.instanceId ?? f.endpoint ?? `${f.accountId ?? '-'}/${f.region ?? '-'}`;
      const line = printable(
        `${f.status} ${f.severity} ${f.checkId} ${who} ${f.resource.id === who ? '' : `${f.resource.id} `}— ${acceptedText(f.suppression!)}`,
      );
      lines.push(...wrap(line, width - 2, 2).map((l) => paint(ANSI.dim, `  ${l}`)));
    }
  }
  const s = doc.summary;
  const sev = [...SEVERITIES]
    .reverse()
    .filter((x) => s.bySeverity[x] > 0)
    .map((x) => `${s.bySeverity[x]} ${x}`);
  lines.push(
    '',
    ...wrap(
      `${paint(ANSI.bold, 'Summary:')} ${paint(ANSI.red, `${s.FAILED} failed`)}${sev.length ? ` (${sev.join(', ')})` : ''}, ${s.WARNING} warning, ${s.NOT_AVAILABLE} not available, ${paint(ANSI.green, `${s.PASSED} passed`)}${s.suppressed ? ` (${s.suppressed} suppressed)` : ''} · ${plural(groups.length, 'subject')} · ${plural(doc.findings.length, 'finding')}`,
      width,
      2,
    ),
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
  const shown = fs.filter((f) => showPassed || f.status !== 'PASSED').sort(findingOrder);
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
