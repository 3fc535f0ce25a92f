/**
 * The HTML report: one self-contained file (inline CSS, inline script, inline SVG charts; a
 * Content-Security-Policy that allows no fetch at all), readable printed. A summary at a glance
 * (counts, failures by severity and by instance as charts), then the findings grouped by instance
 * (or endpoint, or account/region), worst group first, with filters by status, severity and check,
 * and each finding's evidence and remediation in a <details>.
 *
 * Every string that came from the findings is made printable and HTML-escaped (escape-html) before
 * it reaches the markup; the script reads only data-* attributes and never builds markup.
 */
import { createHash } from 'node:crypto';
import escapeHtml from 'escape-html';
import { SEVERITIES, STATUSES, isFailing, severityRank, type Finding, type ScanDocument, type SubjectRef } from '../model.js';
import { documentFindingId } from '../findings/asff.js';
import { jsonText, printable } from '../util/text.js';
import { VERSION } from '../version.js';
import { SEVERITY_COLOURS, severityScale, svgOf } from './chart.js';
import { countOf, failingCount, findingOrder, ofEachKind, partialText, subjects, type Subject } from './subjects.js';

export interface HtmlOptions {
  /** The scan's subjects of every kind, for their names. */
  subjects?: readonly SubjectRef[];
  /** The command that produced the document: a probe's report names endpoints, not accounts and regions. */
  command?: 'scan' | 'probe';
}

/** Printable, then escaped for text and attribute values alike. */
const h = (value: unknown): string => escapeHtml(printable(String(value ?? '')));

/** Instances shown in the by-instance chart; the rest are summed up in one line under it. */
const CHART_INSTANCES = 20;

interface Group extends Subject {
  /** The subject's id and, when it has one, its name. */
  label: string;
  /** The label as the chart shows it: the id on one line, the name on the next ones (never cut). */
  chartLabel: string;
}

/** Chart label lines at most this long: a long name goes on more lines rather than being cut. */
const LABEL_LINE = 40;

function nameLines(name: string): string[] {
  const lines: string[] = [];
  for (const word of name.split(' ')) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 1 + word.length <= LABEL_LINE) lines[lines.length - 1] = `${last} ${word}`;
    else for (let i = 0; i < Math.max(1, word.length); i += LABEL_LINE) lines.push(word.slice(i, i + LABEL_LINE));
  }
  return lines;
}

/** The findings by subject, in the table's order (render/subjects.ts). */
function groups(doc: ScanDocument, names: Map<string, string>): Group[] {
  // Suppressed findings are shown apart (renderHtml, "Accepted risks").
  return subjects(doc.findings.filter((f) => !f.suppression)).map((s) => {
    const name = names.get(s.key);
    const suffix = s.kind === 'account' ? ' (account)' : '';
    return {
      ...s,
      label: printable(`${s.key}${suffix}${name ? ` (${name})` : ''}`),
      chartLabel: [printable(`${s.key}${suffix}`), ...(name ? nameLines(printable(name)) : [])].join('\n'),
    };
  });
}

async function severityChart(doc: ScanDocument): Promise<string> {
  const values = [...SEVERITIES].reverse().map((severity) => ({ severity, count: doc.summary.bySeverity[severity] }));
  return svgOf({
    title: 'Failing findings by severity',
    width: 320,
    height: 150,
    data: { values },
    mark: { type: 'bar', tooltip: false },
    encoding: {
      y: { field: 'severity', type: 'nominal', sort: severityScale.domain, title: null },
      x: { field: 'count', type: 'quantitative', title: 'findings (FAILED + WARNING)', axis: { tickMinStep: 1 } },
      color: { field: 'severity', type: 'nominal', scale: severityScale, legend: null },
    },
  });
}

async function subjectChart(gs: Group[], noun: string): Promise<{ svg: string; hidden: number }> {
  const withFailures = gs.filter((g) => failingCount(g) > 0);
  const shown = withFailures.slice(0, CHART_INSTANCES);
  const values = shown.flatMap((g) =>
    SEVERITIES.map((severity) => ({
      subject: g.chartLabel,
      severity,
      // Stacked most severe first (leftmost), as the legend lists them; by rank, not by name.
      rank: severityRank(severity),
      count: g.findings.filter((f) => isFailing(f.status) && f.severity === severity).length,
    })).filter((v) => v.count > 0),
  );
  const lines = Math.max(1, ...shown.map((g) => g.chartLabel.split('\n').length));
  const svg = await svgOf({
    title: `Failing findings by ${noun}`,
    width: 420,
    height: { step: Math.max(18, 14 * lines + 6) },
    data: { values: values.length ? values : [{ subject: 'none', severity: 'INFORMATIONAL', rank: 0, count: 0 }] },
    mark: { type: 'bar', tooltip: false },
    encoding: {
      y: {
        field: 'subject',
        type: 'nominal',
        sort: shown.map((g) => g.chartLabel),
        title: null,
        // Whole labels (no limit, so nothing is cut), the id and the name on lines of their own.
        axis: { labelLimit: 0, labelExpr: "split(datum.label, '\\n')" },
      },
      x: { aggregate: 'sum', field: 'count', type: 'quantitative', title: 'findings (FAILED + WARNING)', axis: { tickMinStep: 1 } },
      color: { field: 'severity', type: 'nominal', scale: severityScale, title: 'severity' },
      order: { field: 'rank', type: 'quantitative', sort: 'descending' },
    },
  });
  return { svg, hidden: withFailures.length - shown.length };
}

function findingHtml(f: Finding): string {
  const summary = typeof f.evidence.summary === 'string' ? f.evidence.summary : '';
  const related = f.compliance?.relatedRequirements ?? [];
  // A check's title names what it looks for ("…answers queries without authentication"): a passed one reads as what was seen.
  const passed = f.status === 'PASSED';
  const line = passed ? summary || `not the case: ${f.title}` : f.title;
  return `<details class="finding" data-status="${h(f.status)}" data-severity="${h(f.severity)}" data-check="${h(f.checkId)}"${f.suppression ? ' data-suppressed="true"' : ''}${passed ? ' hidden' : ''}>
<summary><span class="sev" style="background:${SEVERITY_COLOURS[f.severity]}">${h(f.severity)}</span> <span class="status st-${h(f.status)}">${h(f.status)}</span> <code>${h(f.checkId)}</code> ${h(line)}<span class="res">${h(f.resource.type)} ${h(f.resource.id)}</span></summary>
<div class="body">
${passed ? `<p class="checked"><b>Looks for</b> ${h(f.title)}</p>` : `<p class="observed">${h(summary)}</p>`}
${f.suppression ? `<p class="accepted"><b>Accepted risk</b> until ${h(f.suppression.expires)}: ${h(f.suppression.reason)}${f.instanceId ? ` · <code>${h(f.instanceId)}</code>` : ''}</p>` : ''}
${f.endpoint ? `<p><b>Endpoint</b> <code>${h(f.endpoint)}</code></p>` : ''}
<p><b>Remediation</b> ${h(f.remediation.text)} <a href="${h(f.remediation.url)}" rel="noreferrer noopener">${h(f.remediation.url)}</a></p>
${related.length ? `<p class="related"><b>Related requirements</b> ${related.map((r) => `<span class="req">${h(r)}</span>`).join(' ')}</p>` : ''}
<p class="fid"><b>Finding id</b> <code>${h(documentFindingId(f))}</code></p>
<details class="evidence"><summary>Evidence</summary><pre>${escapeHtml(printable(jsonText(f.evidence, 2), '\n'))}</pre></details>
</div>
</details>`;
}

function groupHtml(g: Group): string {
  const count = (pred: (f: Finding) => boolean) => g.findings.filter(pred).length;
  const failing = count((f) => isFailing(f.status));
  return `<section class="group" data-group="${h(g.key)}"${failing + count((f) => f.status === 'NOT_AVAILABLE') ? '' : ' hidden'}>
<h3>${h(g.label)} <span class="counts">${failing} failing · ${count((f) => f.status === 'NOT_AVAILABLE')} not available · ${count((f) => f.status === 'PASSED')} passed</span></h3>
${g.findings.map(findingHtml).join('\n')}
</section>`;
}

/**
 * Filters (status, severity, check, and whether passed findings show: not by default) toggle `hidden` on
 * findings and empty groups; print opens every finding. The markup hides passed findings already (no script, no flash).
 */
const SCRIPT = `(() => {
  const $ = (s) => document.querySelector(s);
  const status = $('#filter-status'), severity = $('#filter-severity'), check = $('#filter-check'), passed = $('#show-passed');
  const accepted = $('#filter-suppressed');
  const apply = () => {
    let shown = 0;
    for (const d of document.querySelectorAll('details.finding')) {
      const st = d.dataset.status;
      const ok = (st !== 'PASSED' || passed.checked) &&
        (status.value === 'all' || (status.value === 'failing' ? st === 'FAILED' || st === 'WARNING' : st === status.value)) &&
        (severity.value === 'all' || d.dataset.severity === severity.value) && (check.value === 'all' || d.dataset.check === check.value) &&
        (!accepted || accepted.value === 'all' || (accepted.value === 'only') === (d.dataset.suppressed === 'true'));
      d.hidden = !ok;
      if (ok) shown++;
    }
    for (const g of document.querySelectorAll('section.group, section#accepted')) g.hidden = !g.querySelector('details.finding:not([hidden])');
    $('#shown-count').textContent = String(shown);
  };
  for (const s of [severity, check, accepted]) s?.addEventListener('change', apply);
  // Asking for PASSED findings shows them; hiding them again leaves that status.
  status.addEventListener('change', () => { if (status.value === 'PASSED') passed.checked = true; apply(); });
  passed.addEventListener('change', () => { if (!passed.checked && status.value === 'PASSED') status.value = 'all'; apply(); });
  window.addEventListener('beforeprint', () => { for (const d of document.querySelectorAll('details')) d.open = true; });
  apply();
})();`;
const SCRIPT_HASH = createHash('sha256').update(SCRIPT).digest('base64');

const STYLE = `
:root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; font-size: 14px; color: #1d1d1f; }
body { max-width: 1100px; margin: 1.5rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; } h3 { font-size: 1rem; margin: 1.25rem 0 .4rem; }
.meta { color: #555; margin: 0 0 1rem; }
.cards { display: flex; gap: .75rem; flex-wrap: wrap; margin: .5rem 0 1rem; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: .5rem .9rem; min-width: 7.5rem; }
.card .n { font-size: 1.6rem; font-weight: 600; display: block; }
.card.FAILED .n { color: #c0392b; } .card.WARNING .n { color: #b07d00; } .card.PASSED .n { color: #2e7d32; } .card.NOT_AVAILABLE .n { color: #666; }
.charts { display: flex; gap: 1.5rem; flex-wrap: wrap; align-items: flex-start; }
.charts figure { margin: 0; }
.charts svg { max-width: 100%; height: auto; }
.filters { display: flex; gap: 1rem; flex-wrap: wrap; align-items: center; padding: .5rem .75rem; background: #f5f5f7; border-radius: 6px; position: sticky; top: 0; z-index: 1; }
.filters label { display: flex; gap: .35rem; align-items: center; }
.counts { font-weight: normal; color: #666; font-size: .85rem; margin-left: .5rem; }
details.finding { border: 1px solid #e3e3e3; border-radius: 5px; margin: .3rem 0; padding: .25rem .5rem; break-inside: avoid; }
details.finding > summary { cursor: pointer; line-height: 1.6; }
.sev { color: #fff; border-radius: 3px; padding: 0 .35rem; font-size: .75rem; font-weight: 600; }
.status { font-size: .75rem; font-weight: 600; padding: 0 .3rem; border-radius: 3px; border: 1px solid currentColor; }
.st-FAILED { color: #c0392b; } .st-WARNING { color: #b07d00; } .st-PASSED { color: #2e7d32; } .st-NOT_AVAILABLE { color: #666; }
.res { color: #666; font-size: .85rem; margin-left: .5rem; }
.body { padding: .25rem .25rem .5rem 1rem; } .body p { margin: .35rem 0; }
.req { display: inline-block; background: #eef2f7; border-radius: 3px; padding: 0 .3rem; margin: .1rem 0; font-size: .8rem; }
pre { background: #f7f7f7; padding: .5rem; overflow-x: auto; white-space: pre-wrap; word-break: break-word; font-size: .8rem; }
code { font-size: .85rem; }
footer { margin-top: 2rem; color: #777; font-size: .8rem; }
@media print {
  * { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  body { max-width: none; margin: 0; font-size: 11px; }
  .filters { display: none; }
  a { color: inherit; }
  h2, h3, details.finding > summary { break-after: avoid; }
  details.finding { border-color: #bbb; break-inside: auto; }
  pre { break-inside: auto; }
}`;

/** The report as one HTML document. */
export async function renderHtml(doc: ScanDocument, opts: HtmlOptions = {}): Promise<string> {
  const names = new Map<string, string>(
    (opts.subjects ?? []).filter((s) => s.name && s.name !== s.id).map((s) => [s.id, s.name!] as [string, string]),
  );
  const gs = groups(doc, names);
  const accepted = doc.findings.filter((f) => f.suppression).sort(findingOrder);
  // A probe's document has endpoints and no accounts or regions (the CLI says which command made it).
  const probe = (opts.command ?? (doc.scope.accounts.length || doc.findings.some((f) => f.accountId) ? 'scan' : 'probe')) === 'probe';
  const noun = probe ? 'endpoint' : 'instance';
  const [bySeverity, byInstance] = await Promise.all([severityChart(doc), subjectChart(gs, noun)]);
  const s = doc.summary;
  const failing = s.FAILED + s.WARNING;
  const checks = [...new Set(doc.findings.map((f) => f.checkId))].sort();
  const option = (value: string, label = value) => `<option value="${h(value)}">${h(label)}</option>`;
  const scope = probe
    ? countOf(gs.length, 'endpoint')
    : `accounts ${doc.scope.accounts.map(h).join(', ') || 'none'} · regions ${doc.scope.regions.map(h).join(', ') || 'none'}${h(partialText(doc.scope))}`;
  const passed = s.PASSED;
  const notPassed = doc.findings.length - passed;
  const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-${SCRIPT_HASH}'; base-uri 'none'; form-action 'none'">
<title>influxguard report ${h(doc.scanId)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>influxguard report</h1>
<p class="meta">${probe ? 'probe' : 'scan'} <code>${h(doc.scanId)}</code> · ${h(doc.startedAt)} – ${h(doc.finishedAt)} · ${scope}</p>
</header>
<h2>Summary</h2>
<div class="cards" id="summary">
${STATUSES.map((st) => `<div class="card ${st}" data-status="${st}"><span class="n">${s[st]}</span>${st}</div>`).join('\n')}
<div class="card" data-status="findings"><span class="n">${doc.findings.length}</span>findings</div>${s.suppressed ? `\n<div class="card" data-status="suppressed"><span class="n">${s.suppressed}</span>suppressed</div>` : ''}
</div>
<p id="headline">${
    failing === 0
      ? 'No failing findings.'
      : `${plural(failing, 'failing finding')}: ${SEVERITIES.filter((x) => s.bySeverity[x] > 0)
          .reverse()
          .map((x) => `${s.bySeverity[x]} ${x}`)
          .join(', ')}.`
  } ${ofEachKind(gs, (g) => failingCount(g) > 0)} with failures.</p>
<div class="charts">
<figure id="chart-severity">${bySeverity}</figure>
<figure id="chart-instances">${byInstance.svg}${byInstance.hidden ? `<figcaption>and ${plural(byInstance.hidden, `more ${noun}`)} with failures</figcaption>` : ''}</figure>
</div>
<h2>Findings</h2>
<div class="filters" role="search">
<label>Status <select id="filter-status">${option('all', 'all')}${option('failing', 'failing (FAILED, WARNING)')}${STATUSES.map((x) => option(x)).join('')}</select></label>
<label>Severity <select id="filter-severity">${option('all')}${[...SEVERITIES]
    .reverse()
    .map((x) => option(x))
    .join('')}</select></label>
<label>Check <select id="filter-check">${option('all')}${checks.map((c) => option(c)).join('')}</select></label>
${accepted.length ? `<label>Accepted risks <select id="filter-suppressed">${option('all')}${option('only', `only accepted (${accepted.length})`)}${option('none', 'none accepted')}</select></label>\n` : ''}<label><input type="checkbox" id="show-passed"> show passed (${passed})</label>
<span><b id="shown-count">${notPassed}</b> of ${doc.findings.length} shown</span>
</div>
${gs.map(groupHtml).join('\n')}
${accepted.length ? `<section id="accepted">\n<h2>Accepted risks (suppressed): ${accepted.length}</h2>\n${accepted.map(findingHtml).join('\n')}\n</section>` : ''}
<footer>influxguard ${h(VERSION)} · statuses and severities as in Security Hub (ASFF) · each finding's "Related requirements" are the framework controls its check supports</footer>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
