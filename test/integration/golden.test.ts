/**
 * Golden outputs (issue 29 item 1): the demo's estate (scripts/demo-estate.ts: EC2 instances of every role, an
 * internet-facing ALB, two Timestream for InfluxDB DBs) scanned in moto with probe, host and audit evidence answered
 * by this test, rendered as JSON, ASFF, OCSF, CSV and the table, with the coverage publishing acts on; and the same
 * estate with Timestream for InfluxDB failing to list. The files in test/integration/golden/ were written by the code
 * before the resource kinds moved into lib/kinds/: every output must stay byte-identical apart from what moto makes
 * up on each run (account, instance, group, volume… ids and addresses), which is replaced by stable names, and the
 * order that depends on those ids (findings are compared sorted). `GOLDEN_UPDATE=1` rewrites the files.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clients } from '../../lib/aws/clients.js';
import { parseConfig, type Config } from '../../lib/config.js';
import { toAsff } from '../../lib/findings/asff.js';
import type { ScanResult } from '../../lib/model.js';
import { renderCsv } from '../../lib/render/csv.js';
import { renderOcsf } from '../../lib/render/ocsf.js';
import { renderTable } from '../../lib/render/table.js';
import { scan } from '../../lib/scan.js';
import { DEMO_REGION as R, demoEstate } from '../../scripts/demo-estate.js';
import { seedEstate, type SeededEstate } from '../../scripts/estate.js';
import { demoScanDeps, SECRET, URLS } from '../support/demo-evidence.js';
import { testAccount, type TestAccount } from '../support/aws.js';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const NOW = new Date('2026-11-23T12:00:00.000Z');
let account: TestAccount;
let estate: SeededEstate;
let config: Config;

beforeAll(async () => {
  account = await testAccount();
  estate = await seedEstate(account.seeder(R), demoEstate(URLS, { selfSigned: SECRET }));
  config = parseConfig({
    regions: [R],
    probe: { enabled: true, allowedCidrs: ['127.0.0.0/8'], endpointCidrs: ['127.0.0.0/8'] },
    audit: { secrets: [SECRET] },
  });
}, 60_000);

/** Clients whose Timestream ListDbInstances fails (a denied list call). */
function failingTimestream(clients: Clients): Clients {
  clients.timestream(R).middlewareStack.add(
    ((next: (a: unknown) => Promise<unknown>, ctx: { commandName?: string }) => async (args: unknown) => {
      if (ctx.commandName === 'ListDbInstancesCommand')
        throw Object.assign(new Error('User is not authorized to perform this action'), { name: 'AccessDeniedException' });
      return next(args);
    }) as never,
    { step: 'initialize', name: 'goldenFault' } as never,
  );
  return clients;
}

async function scanned(listFails = false): Promise<ScanResult> {
  const { clients } = account.clients(config);
  try {
    return await scan(config, {
      clients: listFails ? failingTimestream(clients) : clients,
      homeRegion: R,
      ...demoScanDeps(NOW),
    });
  } finally {
    clients.destroy();
  }
}

/** What moto made up on this run, by a stable name: longest first, so that no id is replaced inside another. */
function replacements(result: ScanResult): [string, string][] {
  const pairs: [string, string][] = [[account.accountId, '000000000000']];
  const named = (kind: string, m: Record<string, string | string[]>) => {
    for (const [name, v] of Object.entries(m))
      for (const [n, id] of (Array.isArray(v) ? v : [v]).entries()) pairs.push([id, `<${kind}:${name}${n ? `#${n}` : ''}>`]);
  };
  named('instance', estate.instances);
  named('sg', estate.groups);
  named('subnet', estate.subnets);
  named('pl', estate.prefixLists);
  named('lb', estate.loadBalancers);
  named('ts', estate.timestream);
  named('pg', estate.parameterGroups);
  named('snap', estate.snapshots);
  pairs.push([estate.vpcId, '<vpc>'], [estate.internetGatewayId, '<igw>']);
  for (const i of result.instances) {
    const name = i.name ?? i.instanceId;
    for (const [n, ip] of [...i.privateIps, ...i.publicIps, ...i.ipv6].entries()) pairs.push([ip, `<ip:${name}:${n}>`]);
    for (const [n, eni] of i.interfaces.entries()) pairs.push([eni.id, `<eni:${name}:${n}>`]);
    for (const b of i.blockDevices) pairs.push([b.volumeId, `<vol:${name}:${b.device}>`]);
  }
  for (const d of result.databases) if (d.endpoint) pairs.push([d.endpoint, `<endpoint:${d.name}>`]);
  // Containers (issue 30): moto makes up task ids, their interfaces and addresses, and EFS ids.
  for (const [name, tasks] of Object.entries(estate.ecsTasks))
    for (const [n, t] of tasks.entries()) pairs.push([t.split('/').pop()!, `<task:${name}:${n}>`]);
  for (const [n, x] of estate.ecsInterfaces.entries()) pairs.push([x.eni, `<eni:task:${n}>`], [x.ip, `<ip:task:${n}>`]);
  named('efs', estate.efs);
  return pairs.filter(([from]) => from.length > 0).sort((a, b) => b[0].length - a[0].length);
}

/** Route tables, network ACLs, the account's EBS key, listeners and target groups, which moto names at random. */
const RANDOM = /\b(rtb|acl)-[0-9a-f]{8,17}\b|:key\/[0-9a-f-]{36}\b|(?<=:(?:listener|targetgroup)\/[A-Za-z0-9/-]*?)\/[0-9a-f]{16}\b/g;

function normalise(text: string, pairs: readonly [string, string][]): string {
  let out = text;
  for (const [from, to] of pairs) out = out.split(from).join(to);
  return out.replace(RANDOM, (m, kind: string | undefined) => (kind ? `<${kind}>` : m.startsWith(':key/') ? ':key/<kms>' : '/<hex>'));
}

/** A list whose order follows moto's random ids, compared as a sorted list. */
const sortedJson = (items: readonly unknown[], pairs: readonly [string, string][]): string =>
  `${JSON.stringify(
    items
      .map((x) => JSON.parse(normalise(JSON.stringify(x), pairs)) as unknown)
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    null,
    2,
  )}\n`;

function outputs(result: ScanResult): Record<string, string> {
  const pairs = replacements(result);
  const { findings, ...rest } = result.document;
  // Ids in the order moto lists them: compared sorted.
  const ids = (xs: readonly string[] | undefined) => xs?.map((k) => normalise(k, pairs)).sort();
  const coverage = result.coverage.map((c) => ({
    ...c,
    instanceIds: ids(c.instanceIds),
    goneInstanceIds: ids(c.goneInstanceIds),
    ...(c.knownInstanceIds ? { knownInstanceIds: ids(c.knownInstanceIds) } : {}),
    assessed: ids([...c.assessed]),
  }));
  const lines = (text: string) => `${normalise(text, pairs).split('\n').sort().join('\n')}\n`;
  return {
    'document.json': `${normalise(JSON.stringify(rest, null, 2), pairs)}\n`,
    'findings.json': sortedJson(findings, pairs),
    'asff.json': sortedJson(
      findings.map((f) => toAsff(f, { now: NOW.toISOString(), firstSeen: '2026-11-01T00:00:00.000Z' })),
      pairs,
    ),
    'ocsf.json': sortedJson(renderOcsf(result.document), pairs),
    'csv.txt': lines(renderCsv(result.document)),
    'table.txt': lines(renderTable(result.document, { command: 'scan', subjects: result.subjects, width: 200, color: false })),
    'coverage.json': sortedJson(coverage, pairs),
    'incomplete.json': sortedJson(result.incomplete, pairs),
  };
}

function compare(scenario: string, got: Record<string, string>): void {
  const dir = join(GOLDEN, scenario);
  if (process.env.GOLDEN_UPDATE === '1') {
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(got)) writeFileSync(join(dir, name), text);
  }
  for (const [name, text] of Object.entries(got)) {
    const file = join(dir, name);
    expect(existsSync(file) ? `${scenario}/${name}` : `missing ${file}`).toBe(`${scenario}/${name}`);
    expect(text).toBe(readFileSync(file, 'utf8'));
  }
}

describe('golden outputs of the demo estate', () => {
  it('JSON, ASFF, OCSF, CSV, the table and the coverage are as before', async () => {
    const result = await scanned();
    expect(result.document.findings.length).toBeGreaterThan(100);
    expect(result.databases).toHaveLength(2);
    compare('demo', outputs(result));
  }, 60_000);

  it('with Timestream for InfluxDB failing to list: the same, its subjects NOT_AVAILABLE', async () => {
    const result = await scanned(true);
    expect(result.databases).toHaveLength(0);
    compare('timestream-unlisted', outputs(result));
  }, 60_000);
});
