/**
 * Issues 15 and 27: an audit secret (the fleet's too) is sent only to what its
 * own tags `influxguard:instances[:N]` bind it to (read with DescribeSecret
 * before GetSecretValue), and only over TLS whose certificate verifies.
 * Secrets Manager in moto; each instance's endpoint is a real TLS capture
 * listener on loopback that records every Authorization header it is sent and
 * answers like an InfluxDB 1.x whose only user is the admin `root`.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CreateSecretCommand, SecretsManagerClient, TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { AUDIT_CHECKS } from '../../lib/checks/audit.js';
import { parseConfig } from '../../lib/config.js';
import { bindingOf } from '../../lib/evidence/audit/secrets.js';
import { INSECURE_LAB_NOTE, type Finding, type ScanDocument } from '../../lib/model.js';
import { scan } from '../../lib/scan.js';
import { seedEstate } from '../../scripts/estate.js';
import { certificates } from '../../scripts/influxd.js';
import { endpoint, testAccount, type TestAccount } from '../support/aws.js';
import { runCli } from '../support/cli.js';

const R = 'eu-west-3';
const PW = 'Bind-admin-pw-5d0c9e17';
const BASIC = `Basic ${Buffer.from(`root:${PW}`).toString('base64')}`;
const AUDIT_CHECK_IDS = AUDIT_CHECKS.map((c) => c.id);

/** A TLS listener standing in for an instance's port 8086: what it is sent is recorded. */
interface Capture {
  url: string;
  authorizations: string[];
  server: Server;
}
function capture(cert: 'valid' | 'selfsigned'): Promise<Capture> {
  const dir = certificates();
  const authorizations: string[] = [];
  const server = createServer({ cert: readFileSync(join(dir, `${cert}.pem`)), key: readFileSync(join(dir, `${cert}.key`)) }, (req, res) => {
    const auth = req.headers.authorization;
    if (auth) authorizations.push(auth);
    const results = [
      { statement_id: 0, series: [{ columns: ['user', 'admin'], values: [['root', true]] }] },
      { statement_id: 1, series: [{ name: 'databases', columns: ['name'], values: [['metrics']] }] },
    ];
    if (req.url === '/ping') res.writeHead(204, { 'x-influxdb-version': '1.8.10' }).end();
    else if (!req.url?.startsWith('/query')) res.writeHead(404).end();
    else if (auth !== BASIC) res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"authorization failed"}');
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results }));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, authorizations, server }),
    ),
  );
}

let account: TestAccount;
const listeners: Record<string, Capture> = {};
const ids: Record<string, string> = {};
const arns: Record<string, string> = {};
/** Per scan: its document, every output line, and what each listener received. */
const runs: Record<string, { doc: ScanDocument; output: string; received: Record<string, string[]> }> = {};
let calls: Record<string, number>;

const findingsOf = (run: string, name: string, id: string): Finding[] =>
  runs[run]!.doc.findings.filter((f) => f.instanceId === ids[name] && f.checkId === id);
/** The Authorization headers `name`'s listener received, but the probe's own (a JWT it forges to test the shared secret). */
const received = (run: string, name: string) => runs[run]!.received[name]!.filter((a) => !a.startsWith('Bearer '));
/**
 * Every audit finding of `name` NOT_AVAILABLE, each reason matching `reason` (all six checks when no credential was
 * read; the three of the credential's flavour, users.*, when it was read and then not sent).
 */
const refused = (run: string, name: string, reason: RegExp) => {
  const fs = AUDIT_CHECK_IDS.flatMap((id) => findingsOf(run, name, id));
  expect(findingsOf(run, name, 'users.admin-privileges')).toHaveLength(1);
  for (const f of fs) {
    expect(f.status).toBe('NOT_AVAILABLE');
    expect(String(f.evidence.reason)).toMatch(reason);
  }
};
const audited = (run: string, name: string) =>
  expect(findingsOf(run, name, 'users.default-admin-name').map((f) => f.status)).toEqual(['FAILED']);

/** Runs one scan (`cli` args through the built CLI, else in process), then takes what each listener received. */
async function run(name: string, args: string[] | undefined) {
  let doc: ScanDocument;
  let output = '';
  if (args) {
    const env = {
      ...account.env(R),
      INFLUXGUARD_PROBE_ENABLED: 'true',
      INFLUXGUARD_AUDIT_SECRETS: `arn:aws:secretsmanager:${R}:${account.accountId}:secret:influxguard/*`,
    };
    const r = await runCli(['scan', '--format', 'json', '--fail-on', 'none', ...args], env);
    expect(r.stderr).not.toMatch(/internal error/);
    output = `${r.stdout}${r.stderr}`;
    doc = JSON.parse(r.stdout) as ScanDocument;
  } else {
    const config = parseConfig({
      regions: [R],
      probe: { enabled: true, allowedCidrs: ['127.0.0.0/8'], endpointCidrs: ['127.0.0.0/8'] },
      audit: { secrets: [`arn:aws:secretsmanager:${R}:${account.accountId}:secret:influxguard/*`], secretArn: arns.narrow },
    });
    const { clients, counter } = account.clients(config);
    doc = (await scan(config, { clients, homeRegion: R })).document;
    calls = counter.callsByOperation();
    output = JSON.stringify(doc);
  }
  runs[name] = { doc, output, received: Object.fromEntries(Object.entries(listeners).map(([k, l]) => [k, l.authorizations.splice(0)])) };
}

beforeAll(async () => {
  account = await testAccount();
  [listeners.stranger, listeners.self, listeners.good, listeners.copycat] = await Promise.all([
    capture('valid'),
    capture('selfsigned'),
    capture('valid'),
    capture('valid'),
  ]);
  const sm = new SecretsManagerClient({ region: R, endpoint: endpoint(), credentials: account.credentials });
  const admin = JSON.stringify({ username: 'root', password: PW });
  for (const name of ['pair', 'star', 'narrow'])
    arns[name] = (await sm.send(new CreateSecretCommand({ Name: `influxguard/${name}`, SecretString: admin }))).ARN!;
  const tags = (name: string, secret?: string) => ({
    influxdb: '',
    'influxdb:endpoint': listeners[name]!.url,
    ...(secret ? { 'influxdb:audit-secret': secret } : {}),
  });
  const estate = await seedEstate(account.seeder(R), {
    region: R,
    groups: [{ name: 'vpc', rules: [{ ports: 8086, cidrs: ['10.0.0.0/16'] }] }],
    instances: [
      // Selected (the influxdb tag), named by no secret's binding: only the fleet secret could reach it.
      { name: 'stranger', groups: ['vpc'], tags: tags('stranger') },
      // Bound to `pair`, presenting a self-signed certificate.
      { name: 'self', groups: ['vpc'], tags: tags('self', arns.pair) },
      // Bound to `pair`, presenting a certificate of the operator's CA (the test CA: not in the system store).
      { name: 'good', groups: ['vpc'], tags: tags('good', arns.pair) },
      // Tagged by someone else with `pair` (allowed), a valid certificate: the tag alone earns nothing.
      { name: 'copycat', groups: ['vpc'], tags: tags('copycat', arns.pair) },
    ],
  });
  for (const [name, [id]] of Object.entries(estate.instances)) ids[name] = id!;
  // The secrets' owner binds them: `pair` over two tags (among noise that must not count), `star` to the whole fleet,
  // `narrow` to an instance of no scan here.
  const bind = (arn: string, Tags: { Key: string; Value: string }[]) => sm.send(new TagResourceCommand({ SecretId: arn, Tags }));
  await bind(arns.pair!, [
    { Key: 'influxguard:instances', Value: `i-0000000000000000a,${ids.self} I-0123456789ABCDEF0 x${ids.copycat}` },
    { Key: 'influxguard:instances:2', Value: `${ids.good}` },
    { Key: 'influxguard:instances-extra', Value: `${ids.copycat}` },
  ]);
  await bind(arns.star!, [{ Key: 'influxguard:instances', Value: '*' }]);
  await bind(arns.narrow!, [{ Key: 'influxguard:instances', Value: 'i-0123456789abcdef0' }]);
  sm.destroy();

  const ca = join(certificates(), 'ca.pem');
  await run('narrow', undefined);
  await run('star', ['--audit-secret', arns.star!]);
  await run('starCa', ['--audit-secret', arns.star!, '--audit-ca', ca]);
  await run('lab', ['--audit-secret', arns.star!, '--audit-insecure-lab']);
}, 120_000);

afterAll(async () => {
  await Promise.all(
    Object.values(listeners).map((l) => {
      l.server.closeAllConnections();
      return new Promise((r) => l.server.close(r));
    }),
  );
});

describe('(a) a secret goes only where its own tags bind it', () => {
  it('a selected instance the fleet secret is not bound to: NOT_AVAILABLE naming the binding, and no credential sent', () => {
    refused(
      'narrow',
      'stranger',
      new RegExp(`audit secret .*influxguard/narrow.* is not bound to ${ids.stranger}: its influxguard:instances tags do not list it`),
    );
    expect(received('narrow', 'stranger')).toEqual([]);
  });

  it('an instance tagged with an allowed secret bound elsewhere: NOT_AVAILABLE, no credential sent (in every scan)', () => {
    for (const r of ['narrow', 'star', 'starCa', 'lab']) {
      refused(r, 'copycat', new RegExp(`is not bound to ${ids.copycat}`));
      expect(received(r, 'copycat')).toEqual([]);
    }
  });

  it('the value of a secret bound to nothing the scan audits is never read: DescribeSecret for each, GetSecretValue only for `pair`', () => {
    expect(calls['secretsmanager:DescribeSecret']).toBe(2);
    expect(calls['secretsmanager:GetSecretValue']).toBe(1);
  });
});

describe('(b, c) only over TLS whose certificate verifies', () => {
  it('a bound instance with a self-signed certificate, no CA given: NOT_AVAILABLE naming why, no credential sent', () => {
    refused(
      'narrow',
      'self',
      /certificate of 127\.0\.0\.1:\d+ does not verify: .*self-signed certificate; pass the CA that issued it with --audit-ca/,
    );
    expect(received('narrow', 'self')).toEqual([]);
  });

  it('a bound instance whose certificate comes from a CA outside the system store, no CA given: NOT_AVAILABLE, nothing sent', () => {
    refused('narrow', 'good', /certificate of 127\.0\.0\.1:\d+ does not verify: .*(local issuer|first certificate)/);
    expect(received('narrow', 'good')).toEqual([]);
  });

  it('with --audit-ca the bound instance is audited; the self-signed one still is not', () => {
    audited('starCa', 'good');
    expect(received('starCa', 'good')).toContain(BASIC);
    refused('starCa', 'self', /does not verify: .*self-signed.*not issued by the operator CA/);
    expect(received('starCa', 'self')).toEqual([]);
  });
});

describe('(d) `*` binds the whole fleet only with an operator CA', () => {
  it('without a CA it binds nothing: NOT_AVAILABLE saying so, no credential sent', () => {
    refused('star', 'stranger', /bound to the whole fleet \(influxguard:instances = \*\), which takes an operator CA .*--audit-ca/);
    expect(received('star', 'stranger')).toEqual([]);
  });
  it('with a CA the instance whose certificate it issued is audited', () => {
    audited('starCa', 'stranger');
    expect(received('starCa', 'stranger')).toContain(BASIC);
  });
});

describe('(e) --audit-insecure-lab', () => {
  it('audits a bound endpoint whose certificate does not verify, and every audit finding says so', () => {
    audited('lab', 'self');
    expect(received('lab', 'self')).toContain(BASIC);
    for (const id of AUDIT_CHECK_IDS)
      for (const f of findingsOf('lab', 'self', id)) expect(JSON.stringify(f.evidence)).toContain(INSECURE_LAB_NOTE);
  });
  it('never skips the binding: `*` without a CA and a secret bound elsewhere still send nothing (said, with the lab note)', () => {
    refused('lab', 'stranger', /bound to the whole fleet.*--audit-insecure-lab/);
    expect(received('lab', 'stranger')).toEqual([]);
  });
});

it('(f) no password, nor its Basic encoding, in any output', () => {
  for (const r of Object.values(runs)) for (const s of [PW, BASIC.slice(6)]) expect(r.output.includes(s)).toBe(false);
});

describe('the influxguard:instances tags (hostile values)', () => {
  const tag = (Value: string, Key = 'influxguard:instances') => [{ Key, Value }];
  it('instance ids, cluster/service names and Timestream ids, separated by spaces or commas; other tokens do not count', () => {
    const b = bindingOf(tag('i-0123456789abcdef0, i-01234567,prod-cluster/influx  abcdef1234 I-0123456789ABCDEF0 i-0123456g x$y'));
    expect([...b.subjects]).toEqual(['i-0123456789abcdef0', 'i-01234567', 'prod-cluster/influx', 'abcdef1234']);
    expect(b.fleet).toBe(false);
    expect(bindingOf(tag('*')).fleet).toBe(true);
  });
  it('several tags make one list; other keys do not count', () => {
    const b = bindingOf([
      ...tag('i-01234567'),
      ...tag('i-01234568', 'influxguard:instances:2'),
      ...tag('i-01234569', 'influxguard:instancesX'),
    ]);
    expect([...b.subjects]).toEqual(['i-01234567', 'i-01234568']);
  });
  it('a value longer than a tag value may be (256) binds nothing, rather than a truncated id', () => {
    expect([...bindingOf(tag(`${'i-01234567 '.repeat(23)}i-0123456789abcdef0`)).subjects]).toEqual([]);
  });
});
