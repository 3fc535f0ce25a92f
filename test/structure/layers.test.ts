/**
 * The import graph of lib/ (issue 29): no cycle between folders (a file
 * directly in lib/ counts as its own node). Biome's noImportCycles keeps files
 * acyclic and its noRestrictedImports rules (biome.json) keep each layer's
 * arrows pointing down; this test measures the folder level.
 */
import { expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const LIB = new URL('../../lib/', import.meta.url).pathname;
const files = (readdirSync(LIB, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => join(LIB, f));
const node = (file: string) => {
  const rel = relative(LIB, file);
  return rel.includes('/') ? rel.split('/')[0]! : rel.replace(/\.ts$/, '');
};

const edges = new Map<string, Set<string>>();
for (const f of files) {
  for (const m of readFileSync(f, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'(\.[^']+)'/g)) {
    const target = resolve(dirname(f), m[1]!).replace(/\.js$/, '.ts');
    if (!target.startsWith(LIB)) continue;
    const [a, b] = [node(f), node(target)];
    if (a !== b) edges.set(a, (edges.get(a) ?? new Set()).add(b));
  }
}

function cycle(): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined;
    if (state.get(n) === 'open') return [...path.slice(path.indexOf(n)), n];
    state.set(n, 'open');
    path.push(n);
    for (const m of edges.get(n) ?? []) {
      const c = visit(m);
      if (c) return c;
    }
    path.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of edges.keys()) {
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}

it('lib/ has no import cycle between folders', () => {
  expect(edges.size).toBeGreaterThan(5);
  expect(cycle()).toBeUndefined();
});

it('the pure layers import nothing above them: model, exposure, findings, checks, render', () => {
  // lib/suppress.ts stays pure: the renderers may read it because it reads nothing above them (util: printable).
  expect([...(edges.get('suppress') ?? [])].sort()).toEqual(['checks', 'model', 'util']);
  const below: Record<string, string[]> = {
    exposure: ['model', 'util', 'result', 'host-evidence'],
    checks: ['model', 'util', 'exposure', 'result', 'host-evidence', 'version'],
    // suppress: the accepted risks' pure wording and matching (it imports only model and checks).
    render: ['model', 'util', 'findings', 'checks', 'summary', 'version', 'result', 'exposure', 'host-evidence', 'suppress'],
    // The kinds loop over nothing: scan, evaluate, publish, the renderers and the app loop over them.
    kinds: ['model', 'util', 'exposure', 'result', 'host-evidence', 'evidence', 'discover', 'aws', 'config', 'errors'],
  };
  for (const [layer, allowed] of Object.entries(below))
    expect({ layer, imports: [...(edges.get(layer) ?? [])].filter((n) => !allowed.includes(n)) }).toEqual({ layer, imports: [] });
});

it("a kind's identity and lifecycle (what publishing, ASFF and the renderers read) import only the data model", () => {
  const pure = files.filter((f) => /\/kinds\/([^/]+\/)?(subject|lifecycle|outputs)\.ts$/.test(f));
  expect(pure.length).toBeGreaterThanOrEqual(5);
  for (const f of pure)
    for (const m of readFileSync(f, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'(\.[^']+)'/g)) {
      const target = relative(LIB, resolve(dirname(f), m[1]!));
      expect({
        file: relative(LIB, f),
        target,
        pure: /^(model(\/|\.js)|kinds\/([^/]+\/)?(subject|lifecycle)\.js)/.test(target),
      }).toMatchObject({
        pure: true,
      });
    }
});
