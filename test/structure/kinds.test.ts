/**
 * The resource-kind registry (issue 29, docs/adding-a-resource-kind.md): lib/kinds/index.ts, the pure list that
 * publishing and ASFF read (lib/kinds/outputs.ts) and the names the template reads (lib/kinds/kinds.json) name the
 * same kinds in the same order; each kind has its folder, its IAM and its own identity and lifecycle; no stage
 * outside lib/kinds/ asks which kind it holds.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHANGE_EVENTS } from '../../lib/kinds/events.js';
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
      for (const part of ['index.ts', 'discover.ts', 'evidence.ts', 'events.ts', 'subject.ts', 'lifecycle.ts', 'iam.json'])
        expect({ name, part, exists: existsSync(join(LIB, 'kinds', name, part)) }).toEqual({ name, part, exists: true });
      const iam = JSON.parse(readFileSync(join(LIB, 'kinds', name, 'iam.json'), 'utf8')) as { scan: { Action: string[] }[] };
      expect(iam.scan.length).toBeGreaterThan(0);
    }
  });

  it('owns subject ids without overlap: a finding belongs to one kind', () => {
    const ids = ['i-0123456789abcdef0', 'abcde12345'];
    for (const id of ids) expect({ id, owners: KIND_OUTPUTS.filter((k) => k.lifecycle.owns(id)).length }).toEqual({ id, owners: 1 });
  });

  it('each kind maps the records of its own event sources; the pending keys are distinct and keep the stored attributes', () => {
    const record = (eventSource: string, eventName: string, requestParameters: Record<string, unknown>) => ({
      eventSource,
      eventName,
      requestParameters,
      responseElements: {},
    });
    const namers = (r: ReturnType<typeof record>) => KINDS.filter((k) => k.events.named(r, () => true)).map((k) => k.name);
    expect(namers(record('timestream-influxdb.amazonaws.com', 'UpdateDbInstance', { identifier: 'abcde12345' }))).toEqual([
      'timestream-db',
    ]);
    expect(
      namers(record('ec2.amazonaws.com', 'StartInstances', { instancesSet: { items: [{ instanceId: 'i-0123456789abcdef0' }] } })),
    ).toEqual(['ec2-instance']);
    expect(namers(record('ec2.amazonaws.com', 'AuthorizeSecurityGroupIngress', { groupId: 'sg-0123456789abcdef0' }))).toEqual([]);
    // An event outside the one list the template's rule is built from names no subject of any kind.
    for (const source of Object.keys(CHANGE_EVENTS))
      expect({ source, kinds: namers(record(source, 'NotAListedEvent', {})) }).toEqual({ source, kinds: [] });
    expect(new Set(KINDS.map((k) => k.events.pending.key)).size).toBe(KINDS.length);
    expect(new Set(KINDS.map((k) => k.events.pending.attribute)).size).toBe(KINDS.length);
    // The DynamoDB attributes the deployed version writes (lib/app/store.ts reads them back).
    expect(Object.fromEntries(KINDS.map((k) => [k.events.pending.key, k.events.pending.attribute]))).toEqual({
      instanceIds: 'ids',
      databaseIds: 'dbs',
      serviceArns: 'ecs',
    });
  });

  it('no stage outside lib/kinds/ branches on instance-or-database (the event-driven rescans and pending changes included)', () => {
    const stages = ['scan.ts', 'evaluate.ts', 'findings', 'publish', 'render', 'discover', 'evidence', 'app/service.ts'];
    // Event-driven rescans: the records, the selected resources and the pending changes come from the kinds' events.ts.
    const rescans = ['app/events.ts', 'app/rescan.ts', 'app/store.ts'];
    const files = [...stages, ...rescans].flatMap((s) =>
      s.endsWith('.ts')
        ? [join(LIB, s)]
        : (readdirSync(join(LIB, s), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => join(LIB, s, f)),
    );
    const STAGE = /scope === '(?:instance|database)'|\.databases\b|TIMESTREAM_ARN|EC2_INSTANCE_ID|timestreamListed|timestreamFailed/g;
    const RESCAN =
      /kind === '(?:instance|database)'|'(?:instance|database)' \| '(?:instance|database)'|\.databaseIds\b|\.instanceIds\.length|databaseIds: \[|timestream-influxdb\.amazonaws|elasticloadbalancing\.amazonaws|selected(?:Instance|Database)\b|'(?:ids|dbs) :|i\.(?:ids|dbs)\b/g;
    const branches = files.flatMap((f) =>
      [STAGE, ...(rescans.some((r) => f.endsWith(r)) ? [RESCAN] : [])].flatMap((re) =>
        [...readFileSync(f, 'utf8').matchAll(re)].map((m) => `${f.slice(LIB.length)}: ${m[0]}`),
      ),
    );
    // lib/scan.ts keeps the records of both kinds on ScanResult for callers that read them (not a branch).
    expect(branches.filter((b) => b !== 'scan.ts: .databases')).toEqual([]);
    const templates = ['serverless/iam.cjs', 'serverless/member-role.cjs'].map((f) => readFileSync(join(ROOT, f), 'utf8'));
    for (const t of templates) expect(t).not.toMatch(/timestream-influxdb:|ec2:DescribeVolumes/);
  });
});
