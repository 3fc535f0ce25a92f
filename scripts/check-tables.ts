/**
 * The check tables of docs/checks.md, written from the registry (`npm run docs`): each check describes
 * itself (lib/checks/support.ts `Described`), so a new check reaches the page without a hand-written row.
 *
 * The page keeps its prose; only what lies between `<!-- begin checks:NAME … -->` and
 * `<!-- end checks:NAME -->` is written: one table per family of `FAMILIES` (lib/checks/index.ts,
 * NAME is the family's key) and the compliance table (NAME `compliance`). A family without its markers,
 * or markers naming no family, is an error. test/checks/tables.test.ts fails when the page is stale.
 */
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import type { Cited, NotApplicable } from '../lib/checks/compliance.js';
import { CHECKS, FAMILIES } from '../lib/checks/index.js';
import type { Described } from '../lib/checks/support.js';

const COMPLIANCE = 'compliance';
const BLOCK = /(<!-- begin checks:([a-z][a-z0-9]*)[^>]*-->\n)[\s\S]*?(<!-- end checks:\2 -->)/g;

/** One Markdown table cell: a `|` would end it, a line break would end the row. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
const table = (head: string[], rows: string[][]) =>
  [head, head.map(() => '---'), ...rows].map((r) => `| ${r.map(cell).join(' | ')} |`).join('\n');

/** The catalogue's words for a check's evidence: an audit check reads the probe with the operator's credentials. */
function evidenceOf(c: Described): string {
  const credentials =
    (c.needs as readonly string[]).includes('audit') && !c.evidence.includes('audit') ? ' (operator-supplied credentials)' : '';
  return c.evidence.join(', ') + credentials;
}

function familyTable(checks: readonly Described[]): string {
  return table(
    ['id', 'FAILED when', 'evidence', 'severity'],
    checks.map((c) => [`\`${c.id}\``, c.failedWhen, evidenceOf(c), c.otherSeverities ? `${c.severity}; ${c.otherSeverities}` : c.severity]),
  );
}

/** A framework's controls with where each mapping comes from: the Security Hub control's page, or influxguard's reason. */
function controlsOf(x: readonly Cited[] | NotApplicable): string {
  if ('notApplicable' in x) return `none: ${x.notApplicable}`;
  return x
    .map((c) => {
      const fsbp = /^AWS Security Hub FSBP (.+)$/.exec(c.basis)?.[1];
      const source = fsbp ? `[FSBP ${fsbp}](${c.url})` : `judged: ${c.basis.replace(/^influxguard judgement: /, '')}`;
      return `${c.controls.join(', ')} (${source})`;
    })
    .join('; ');
}

function complianceTable(checks: readonly Described[]): string {
  return table(
    ['id', 'guidance section', 'PCI DSS v4.0.1', 'CIS Controls v8', 'NIST SP 800-53 r5'],
    checks.map((c) => [
      `\`${c.id}\``,
      c.compliance.guidance === false ? 'none (a status of the scanner)' : c.section,
      controlsOf(c.compliance.pci),
      controlsOf(c.compliance.cis),
      controlsOf(c.compliance.nist),
    ]),
  );
}

/** The page with every marked table written from the registry; the rest unchanged. */
export function checkTables(page: string): string {
  const tables = new Map<string, string>(Object.entries(FAMILIES).map(([name, checks]) => [name, familyTable(checks)]));
  tables.set(COMPLIANCE, complianceTable(CHECKS));
  const seen: string[] = [];
  const written = page.replace(BLOCK, (_, begin: string, name: string, end: string) => {
    const t = tables.get(name);
    if (t === undefined) throw new Error(`docs/checks.md: markers "checks:${name}" name no family of lib/checks/index.ts`);
    if (seen.includes(name)) throw new Error(`docs/checks.md: the markers "checks:${name}" appear twice`);
    seen.push(name);
    return `${begin}${t}\n${end}`;
  });
  const missing = [...tables.keys()].filter((n) => !seen.includes(n));
  if (missing.length)
    throw new Error(
      `docs/checks.md: no markers for ${missing.map((n) => `"<!-- begin checks:${n} -->" … "<!-- end checks:${n} -->"`).join(', ')}`,
    );
  return written;
}

// `npm run docs` (from the repository's root): rewrite the page when it is stale.
if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(new URL(import.meta.url).pathname)) {
  const path = process.argv[2] ?? 'docs/checks.md';
  const page = readFileSync(path, 'utf8');
  const next = checkTables(page);
  if (next !== page) writeFileSync(path, next);
  process.stdout.write(`${path}: check tables ${next === page ? 'up to date' : 'written'}\n`);
}
