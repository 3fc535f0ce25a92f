/**
 * The catalogue lives in the registry; docs/CHECKS.md is the contract (see
 * catalogue.test.ts) and the check tables of docs/checks.md are held to both here:
 * every implemented check has exactly one row there with its base severity,
 * and the page lists nothing that is not implemented.
 */
import { expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { CHECKS } from '../../lib/checks/index.js';

const page = readFileSync(new URL('../../docs/checks.md', import.meta.url), 'utf8');
const rows = page
  .split('\n')
  .filter((l) => /^\| `[a-z0-9]+\.[a-z0-9-]+` \|/.test(l))
  .map((l) => {
    const cells = l.split('|').map((c) => c.trim());
    return { id: cells[1]!.replace(/`/g, ''), severity: cells[cells.length - 2]!.split(/[;, ]/)[0]! };
  });

it('the check tables of docs/checks.md list every implemented check once, with its base severity, and nothing else', () => {
  const ids = rows.map((r) => r.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect([...ids].sort()).toEqual(CHECKS.map((c) => c.id).sort());
  for (const r of rows) expect(`${r.id} ${r.severity}`).toBe(`${r.id} ${CHECKS.find((c) => c.id === r.id)!.severity}`);
});
