/**
 * A scan of chosen checks and kinds (`influxguard scan --check … --kind …`, the API's `checks`) against the demo
 * estate (scripts/demo-estate.ts: EC2 instances of every role, an internet-facing ALB, ECS services, Timestream for
 * InfluxDB) with probe, host and audit evidence answered in process: for every check of the catalogue alone, and for
 * every kind with every check, the partial scan gives exactly the full scan's findings for them (same status,
 * severity, subject, evidence), and nothing the full scan says of them is dropped. One estate, one full scan, then
 * the partial scans in process.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { checkSelection, checkSources } from '../../lib/cli/select.js';
import { CHECKS } from '../../lib/checks/index.js';
import { KINDS } from '../../lib/kinds/index.js';
import { parseConfig, type Config } from '../../lib/config.js';
import type { Check, Finding, ScanResult } from '../../lib/model.js';
import { buildSummary } from '../../lib/publish/sns.js';
import { renderDocument } from '../../lib/render/formats.js';
import { renderTable } from '../../lib/render/table.js';
import { scan, type ScanDeps } from '../../lib/scan.js';
import { mapLimit } from '../../lib/util/concurrency.js';
import { DEMO_REGION as R, demoEstate } from '../../scripts/demo-estate.js';
import { seedEstate } from '../../scripts/estate.js';
import { denyOperation, testAccount, type TestAccount } from '../support/aws.js';
import { demoScanDeps, SECRET, URLS } from '../support/demo-evidence.js';

const NOW = new Date('2026-11-23T12:00:00.000Z');
let account: TestAccount;
let config: Config;
let full: ScanResult;

async function scanned(over: Partial<ScanDeps> = {}, conf: Config = config): Promise<ScanResult> {
  const { clients } = account.clients(conf);
  try {
    return await scan(conf, { clients, homeRegion: R, ...demoScanDeps(NOW), ...over });
  } finally {
    clients.destroy();
  }
}

/** A finding as a whole (a user-data verdict read again from this process's cache says so: not a difference). */
const whole = (f: Finding): string => JSON.stringify({ ...f, evidence: { ...f.evidence, cachedVerdict: undefined } });

/** What the full scan says of these checks (and these subjects) that the partial one does not, and the reverse. */
function differences(label: string, partial: readonly Finding[], expected: readonly Finding[]): string[] {
  const got = partial.map(whole);
  const want = expected.map(whole);
  return [
    ...want.filter((w) => !got.includes(w)).map((w) => `${label}: missing ${w.slice(0, 300)}`),
    ...got.filter((g) => !want.includes(g)).map((g) => `${label}: extra ${g.slice(0, 300)}`),
  ];
}

const fullOf = (c: Check) => full.document.findings.filter((f) => f.checkId === c.id);

beforeAll(async () => {
  account = await testAccount();
  await seedEstate(account.seeder(R), demoEstate(URLS, { selfSigned: SECRET }));
  config = parseConfig({
    regions: [R],
    probe: { enabled: true, allowedCidrs: ['127.0.0.0/8'], endpointCidrs: ['127.0.0.0/8'] },
    audit: { secrets: [SECRET] },
  });
  full = await scanned();
}, 60_000);

describe('a scan of one check', () => {
  it('the estate has subjects of every kind and findings of every scope', () => {
    expect(new Set(full.subjects.map((s) => s.kind))).toEqual(new Set(['ec2-instance', 'ecs-service', 'timestream-db']));
    const kindOf = new Map(full.subjects.map((s) => [s.id, s.kind]));
    // Endpoint findings of ECS services (probed at their endpoint tag) as well as of instances.
    const endpointKinds = full.document.findings
      .filter((f) => CHECKS.find((c) => c.id === f.checkId)?.scope === 'endpoint')
      .map((f) => kindOf.get(f.instanceId ?? ''));
    expect(new Set(endpointKinds)).toEqual(new Set(['ec2-instance', 'ecs-service']));
  });

  it('for every check of the catalogue alone: exactly the full scan’s findings of it', async () => {
    const diffs = await mapLimit(CHECKS, 4, async (c) => {
      const partial = await scanned({ checks: [c] });
      expect([c.id, partial.incomplete]).toEqual([c.id, full.incomplete]);
      return differences(c.id, partial.document.findings, fullOf(c));
    });
    expect(diffs.flat()).toEqual([]);
  }, 60_000);
});

describe('a scan of one kind and one check (scan --kind K --check ID)', () => {
  it('refused exactly when the full scan has nothing of the check on the kind’s subjects, else its findings on them', async () => {
    const kindOf = new Map(full.subjects.map((s) => [s.id, s.kind]));
    // A region check speaks of the region's EC2 instances.
    const on = (f: Finding) => (f.instanceId ? kindOf.get(f.instanceId) : 'ec2-instance');
    const pairs = KINDS.flatMap((k) => CHECKS.map((c) => [k, c] as const));
    const diffs = await mapLimit(pairs, 4, async ([k, c]) => {
      const label = `--kind ${k.name} --check ${c.id}`;
      const expected = fullOf(c).filter((f) => on(f) === k.name);
      try {
        checkSelection([c.id], [c], [k.name]);
      } catch {
        return expected.length ? [`${label}: refused, but the full scan has ${expected.length} finding(s) of it`] : [];
      }
      const partial = await scanned({ checks: [c], kinds: [k.name] });
      return differences(label, partial.document.findings, expected);
    });
    expect(diffs.flat()).toEqual([]);
  }, 60_000);
});

describe('checks whose evidence the scan does not gather (scan --check ID without --host, with --no-probe)', () => {
  it('are refused only when the scan without probe, host or audit says nothing of them; every kind alone too', async () => {
    const bare = parseConfig({ regions: [R], probe: { enabled: false } });
    const without = await scanned({ probe: undefined, host: undefined, audit: undefined }, bare);
    const kindOf = new Map(without.subjects.map((s) => [s.id, s.kind]));
    const wrong: string[] = [];
    for (const kinds of [undefined, ...KINDS.map((k) => [k.name])])
      for (const c of CHECKS) {
        const said = without.document.findings.filter((f) => f.checkId === c.id && (!kinds || kinds.includes(kindOf.get(f.instanceId!)!)));
        try {
          checkSources([c.id], [c], bare, kinds);
        } catch {
          if (said.length) wrong.push(`${c.id} ${kinds ?? ''}: refused, but the scan says ${said.length} finding(s) of it`);
        }
      }
    expect(wrong).toEqual([]);
    // What is refused: host-only, probe-only and audit checks.
    const refused = CHECKS.filter((c) => {
      try {
        checkSources([c.id], [c], bare);
        return false;
      } catch {
        return true;
      }
    });
    expect(refused.map((c) => c.id)).toEqual(
      expect.arrayContaining(['host.rpc-bind-all-interfaces', 'tls.legacy-protocols', 'users.admin-privileges']),
    );
    expect(refused.map((c) => c.id)).not.toContain('auth.disabled');
  });
});

describe('a scan of chosen kinds with every check (scan --kind K)', () => {
  it('each kind and each pair of kinds: the full scan’s findings on their subjects, nothing else', async () => {
    const kindOf = new Map(full.subjects.map((s) => [s.id, s.kind]));
    const on = (f: Finding) => (f.instanceId ? kindOf.get(f.instanceId) : 'ec2-instance');
    const names = KINDS.map((k) => k.name);
    const choices = [...names.map((n) => [n]), ...names.flatMap((a, i) => names.slice(i + 1).map((b) => [a, b]))];
    const diffs = await mapLimit(choices, 3, async (kinds) => {
      const partial = await scanned({ kinds });
      const expected = full.document.findings.filter((f) => kinds.includes(on(f)!));
      return [
        ...differences(`--kind ${kinds.join(',')}`, partial.document.findings, expected),
        ...(partial.incomplete.length ? [`--kind ${kinds.join(',')}: incomplete ${partial.incomplete.join('; ')}`] : []),
      ];
    });
    expect(diffs.flat()).toEqual([]);
  });
});

describe('a kind the chosen checks cannot speak of', () => {
  it('is not listed: its listing failing does not make a scan of EBS checks incomplete (exit 3); of net checks it does', async () => {
    const deniedEcs = async (checks: Check[]) => {
      const { clients } = account.clients(config);
      denyOperation(await clients.ecs(R), 'ListServices');
      try {
        return await scanned({ checks, clients });
      } finally {
        clients.destroy();
      }
    };
    const ebs = CHECKS.filter((c) => c.id === 'ebs.volume-unencrypted');
    const partial = await deniedEcs(ebs);
    expect(partial.incomplete).toEqual([]);
    expect(differences('ebs.volume-unencrypted', partial.document.findings, fullOf(ebs[0]!))).toEqual([]);
    const net = await deniedEcs(CHECKS.filter((c) => c.id === 'net.http-port-public'));
    expect(net.incomplete).toEqual([expect.stringMatching(/ecs:ListServices failed/)]);
  });
});

describe('a scan of a kind the region does not hold', () => {
  it('is incomplete (exit 3) saying that no subject of the kind was found, not that no instance matched the tags', async () => {
    const R2 = 'eu-north-1';
    await seedEstate(account.seeder(R2), {
      region: R2,
      groups: [{ name: 'private', rules: [{ ports: 8086, cidrs: ['10.0.0.0/16'] }] }],
      instances: [{ name: 'only-ec2', tags: { influxdb: '' }, groups: ['private'] }],
    });
    const there = parseConfig({ regions: [R2], probe: { enabled: false } });
    const r = await scanned({ kinds: ['ecs-service', 'timestream-db'], probe: undefined, host: undefined, audit: undefined }, there);
    expect(r.incomplete).toEqual([`no subject of the chosen kinds (ecs-service, timestream-db) found in ${R2}`]);
  });
});

describe('the API’s scan of chosen checks (`checks` in its request: a work unit, as lib/app/service.ts runUnit runs it)', () => {
  it('endpoint checks alone: the ECS services’ endpoints are listed and judged by the unit that lists the region', async () => {
    const ids = full.instances.map((i) => i.instanceId);
    const unit = { instanceIds: ids, knownInstanceIds: ids, regionChecks: true, regionComplete: true };
    const checks = CHECKS.filter((c) => c.scope === 'endpoint');
    const partial = await scanned({ checks, unit });
    const expected = full.document.findings.filter((f) => checks.some((c) => c.id === f.checkId));
    expect(expected.some((f) => f.instanceId?.startsWith('arn:aws:ecs:') && f.status === 'FAILED')).toBe(true);
    expect(differences('endpoint checks', partial.document.findings, expected)).toEqual([]);
  });
});

describe('what a partial scan’s outputs say', () => {
  it('the JSON document’s scope and the table’s heading name the checks and kinds it ran; a full scan’s name none', async () => {
    const checks = CHECKS.filter((c) => c.id.startsWith('net.'));
    const partial = await scanned({ checks, kinds: ['ec2-instance'] });
    const json = async (r: ScanResult) => JSON.parse([...(await renderDocument('json', r.document))].join('')) as Record<string, unknown>;
    expect((await json(partial)).scope).toEqual({
      accounts: [account.accountId],
      regions: [R],
      checks: checks.map((c) => c.id),
      kinds: ['ec2-instance'],
    });
    expect((await json(full)).scope).toEqual({ accounts: [account.accountId], regions: [R] });
    const heading = (r: ScanResult) => renderTable(r.document, { color: false, width: 400, subjects: r.subjects }).split('\n')[0];
    expect(heading(partial)).toMatch(/ · partial: checks net\.http-port-public, net\.rpc-port-exposed, .* · kinds ec2-instance$/);
    expect(heading(full)).not.toMatch(/partial/);
    const html = [...(await renderDocument('html', partial.document, { subjects: partial.subjects }))].join('');
    expect(html).toContain(' · partial: checks net.http-port-public, net.rpc-port-exposed, ');
  });

  it('the SNS summary of a scan of chosen checks (the API publishes those) says its counts are theirs alone', async () => {
    const partial = await scanned({ checks: CHECKS.filter((c) => c.id.startsWith('timestream.')) });
    const line = (r: ScanResult) => buildSummary(r.document, undefined).message.split('\n')[2];
    expect(line(partial)).toBe(
      'Partial scan: only the checks timestream.publicly-accessible, timestream.diagnostics-exposed, timestream.log-delivery-disabled',
    );
    expect(buildSummary(full.document, undefined).message).not.toMatch(/Partial scan/);
  });
});

describe('accepted risks in a partial scan', () => {
  it('mark the same findings as in the full scan; an entry of a check the scan did not run is not "matched no finding"', async () => {
    const failing = (id: string) => full.document.findings.find((f) => f.checkId === id && f.status === 'FAILED' && f.instanceId)!;
    const [net, ebs] = [failing('net.http-port-public'), failing('ebs.volume-unencrypted')];
    const expires = new Date(NOW.getTime() + 30 * 86_400_000).toISOString().slice(0, 10);
    const entry = (f: Finding) => ({ checkId: f.checkId, instanceId: f.instanceId, reason: 'accepted', expires });
    const conf = parseConfig({ ...config, suppressions: [entry(net), entry(ebs)] });
    const partial = await scanned({ checks: CHECKS.filter((c) => c.id.startsWith('net.')) }, conf);
    expect(partial.document.findings.filter((f) => f.suppression).map((f) => [f.checkId, f.instanceId])).toEqual([
      ['net.http-port-public', net.instanceId],
    ]);
    expect(partial.unmatchedSuppressions).toEqual([]);
    // Nor one of a check that speaks of a kind the scan did not list (an EC2 instance's, in a scan of ECS services).
    const ecs = await scanned({ kinds: ['ecs-service'] }, conf);
    expect(ecs.unmatchedSuppressions).toEqual([]);
    // The whole scan still says so of an entry that matched nothing.
    const whole = await scanned({}, parseConfig({ ...config, suppressions: [{ ...entry(ebs), instanceId: 'i-0123456789abcdef0' }] }));
    expect(whole.unmatchedSuppressions).toEqual([0]);
  });
});
