/**
 * Every repository path the documentation names exists: README.md, the pages under docs/ and bench/RESULTS.md.
 * A path is a token starting with one of the repository's top-level directories (`lib/…`, `scripts/…`, `test/…`,
 * …), in code spans, code blocks or prose, taken from the repository root; a link is resolved from its page, and a
 * link's `#fragment` must name a heading of its target page. docs/CHECKS.md is left out: it is the shared contract,
 * kept byte-for-byte identical to a copy outside the repository (catalogue.test.ts), so it is not edited here.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;

/** The top-level directories a documented path may start with. */
const TOP = ['lib', 'scripts', 'test', 'collector', 'bench', 'docs', 'cloudformation', 'serverless', 'handlers', 'events', 'bin', '.ci'];
const PATH = new RegExp(`(?<![\\w./~$-])(?:${TOP.map((d) => d.replace('.', '\\.')).join('|')})/[\\w./-]*`, 'g');

/** The pages whose paths are checked, relative to the root. */
const pages = (): string[] => [
  'README.md',
  'bench/RESULTS.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md') && f !== 'CHECKS.md')
    .map((f) => `docs/${f}`),
];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of markdown.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6} (.+)$/gm)) {
    const base = m[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

/** What a page names that does not exist: repository paths, link targets and link fragments. */
function missing(page: string, markdown: string, exists = (p: string) => existsSync(join(root, p))): string[] {
  const problems: string[] = [];
  for (const m of markdown.matchAll(PATH)) {
    const path = m[0].replace(/[.:,;]+$/, '');
    if (!exists(path)) problems.push(`${page}: ${path} does not exist`);
  }
  for (const m of markdown.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1]!;
    if (/^[a-z]+:/i.test(target)) continue;
    const [file, fragment] = target.split('#') as [string, string | undefined];
    const path = file ? relative(root, join(root, dirname(page), file)) : page;
    if (!exists(path)) problems.push(`${page}: link ${target} does not exist`);
    else if (fragment && path.endsWith('.md') && !anchors(readFileSync(join(root, path), 'utf8')).has(fragment))
      problems.push(`${page}: link ${target} names no heading of ${path}`);
  }
  return problems;
}

describe('documented paths', () => {
  it('every repository path and link in README.md, docs/ and bench/RESULTS.md exists', () => {
    expect(pages().flatMap((p) => missing(p, readFileSync(join(root, p), 'utf8')))).toEqual([]);
  });

  it('README.md is the front door: at most 200 lines, the two commands on its first screen, a link to every page', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme.split('\n').length).toBeLessThanOrEqual(200);
    const firstScreen = readme.split('\n').slice(0, 24).join('\n');
    expect(firstScreen).toMatch(/^make demo /m);
    expect(firstScreen).toMatch(/^make test /m);
    for (const page of pages().filter((p) => p.startsWith('docs/'))) expect(readme).toContain(`](${page})`);
  });

  it('reports a path that does not exist, in code, prose and links', () => {
    const text = 'Servers: `test/support/influxd.ts`, certificates by test/support/make-certs.sh.\n[x](docs/nope.md) `lib/checks/index.ts`';
    expect(missing('README.md', text)).toEqual([
      'README.md: test/support/influxd.ts does not exist',
      'README.md: test/support/make-certs.sh does not exist',
      'README.md: docs/nope.md does not exist',
      'README.md: link docs/nope.md does not exist',
    ]);
  });

  it('knows GitHub heading anchors', () => {
    expect([
      ...anchors('# Host evidence: the collector and SSM\n## Against a real account\n## Flags\n## Flags\n```\n# not a heading\n```'),
    ]).toEqual(['host-evidence-the-collector-and-ssm', 'against-a-real-account', 'flags', 'flags-1']);
  });
});
