/**
 * The check tables of docs/checks.md are written from the registry by scripts/check-tables.ts
 * (`npm run docs`): the page must be exactly what the generator writes, so a check added, changed
 * or removed without `npm run docs` fails here. The prose around the tables is the page's own.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { CHECKS } from '../../lib/checks/index.js';
import { checkTables } from '../../scripts/check-tables.js';

const page = readFileSync(new URL('../../docs/checks.md', import.meta.url), 'utf8');
const rows = page
  .split('\n')
  .filter((l) => /^\| `[a-z0-9]+\.[a-z0-9-]+` \|/.test(l))
  .map((l) => l.split(' | ').map((c) => c.replace(/^\| |`| \|$/g, '')));

describe('docs/checks.md check tables', () => {
  it('are what `npm run docs` writes from the registry (run it when this fails)', () => {
    expect(page).toBe(checkTables(page));
  });

  it('list every implemented check once in a family table, with its base severity, and once in the compliance table', () => {
    const family = rows.filter((r) => r.length === 4);
    const compliance = rows.filter((r) => r.length === 5);
    expect(family.length + compliance.length).toBe(rows.length);
    expect(family.map((r) => r[0]).sort()).toEqual(CHECKS.map((c) => c.id).sort());
    expect(compliance.map((r) => r[0]).sort()).toEqual(CHECKS.map((c) => c.id).sort());
    for (const [id, , , severity] of family)
      expect(`${id} ${severity!.split(';')[0]}`).toBe(`${id} ${CHECKS.find((c) => c.id === id)!.severity}`);
  });

  it('a stale table is rewritten; the text around it is kept', () => {
    const stale = page.replace(/^\| `auth\.disabled` \|.*$/m, '| `auth.disabled` | edited by hand | probe | LOW |');
    expect(stale).not.toBe(page);
    expect(checkTables(stale)).toBe(page);
    const prose = `${page}\nA paragraph written by hand.\n`;
    expect(checkTables(prose)).toBe(prose);
  });

  it('refuses a page without the markers of a family, or with markers that name none', () => {
    expect(() => checkTables(page.replace(/<!-- begin checks:host[^>]*-->/, ''))).toThrow(/no markers for "<!-- begin checks:host -->"/);
    expect(() => checkTables(`${page}\n<!-- begin checks:nosuch -->\n<!-- end checks:nosuch -->\n`)).toThrow(
      /"checks:nosuch" name no family/,
    );
  });
});
