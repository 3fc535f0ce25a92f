/**
 * The resource-kind registry (issue 29, docs/adding-a-resource-kind.md): lib/kinds/index.ts, the pure list that
 * publishing and ASFF read (lib/kinds/outputs.ts) and the names the template reads (lib/kinds/kinds.json) name the
 * same kinds in the same order; each kind has its folder, its IAM and its own identity and lifecycle; no stage
 * outside lib/kinds/ asks which kind it holds.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KINDS } from '../../lib/kinds/index.js';
import { KIND_OUTPUTS } from '../../lib/kinds/outputs.js';

const LIB = new URL('../../lib/', import.meta.url).pathname;
const ROOT = new URL('../../', import.meta.url).pathname;
const NAMES = JSON.parse(readFileSync(join(LIB, 'kinds/kinds.json'), 'utf8')) as string[];

describe('the kind registry', () => {
  it('names the same kinds in the same order everywhere', () => {
    expect(KINDS.map((k) => k.name)).toEqual(NAMES);
    expect(KIND_OUTPUTS.map((k) => k.lifecycle.name)).toEqual(NAMES);
    expect(KINDS.map((k) => k.lifecycle)).toEqual(KIND_OUTPUTS.map((k) => k.lifecycle));
  });

  it('each kind has its folder with its parts and the read permissions the template gives', () => {
    for (const name of NAMES) {
      for (const part of ['index.ts', 'discover.ts', 'evidence.ts', 'subject.ts', 'lifecycle.ts', 'iam.json'])
        expect({ name, part, exists: existsSync(join(LIB, 'kinds', name, part)) }).toEqual({ name, part, exists: true });
      const iam = JSON.parse(readFileSync(join(LIB, 'kinds', name, 'iam.json'), 'utf8')) as { scan: { Action: string[] }[] };
      expect(iam.scan.length).toBeGreaterThan(0);
    }
  });

  it('owns subject ids without overlap: a finding belongs to one kind', () => {
    const ids = ['i-0123456789abcdef0', 'abcde12345'];
    for (const id of ids) expect({ id, owners: KIND_OUTPUTS.filter((k) => k.lifecycle.owns(id)).length }).toEqual({ id, owners: 1 });
  });

  it('no stage outside lib/kinds/ branches on instance-or-database', () => {
    const stages = ['scan.ts', 'evaluate.ts', 'findings', 'publish', 'render', 'discover', 'evidence', 'app/service.ts'];
    const files = stages.flatMap((s) =>
      s.endsWith('.ts')
        ? [join(LIB, s)]
        : (readdirSync(join(LIB, s), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => join(LIB, s, f)),
    );
    const branches = files.flatMap((f) =>
      [
        ...readFileSync(f, 'utf8').matchAll(
          /scope === '(?:instance|database)'|\.databases\b|TIMESTREAM_ARN|EC2_INSTANCE_ID|timestreamListed|timestreamFailed/g,
        ),
      ].map((m) => `${f.slice(LIB.length)}: ${m[0]}`),
    );
    // lib/scan.ts keeps the records of both kinds on ScanResult for callers that read them (not a branch).
    expect(branches.filter((b) => b !== 'scan.ts: .databases')).toEqual([]);
    const templates = ['serverless/iam.cjs', 'serverless/member-role.cjs'].map((f) => readFileSync(join(ROOT, f), 'utf8'));
    for (const t of templates) expect(t).not.toMatch(/timestream-influxdb:|ec2:DescribeVolumes/);
  });
});
