/**
 * Issue 15: an allowed audit secret is sent only to the instances it is bound
 * to. A secret named by an instance's `influxdb:audit-secret` tag must list
 * that instance in its own tag `influxguard:instances` (read with
 * DescribeSecret before GetSecretValue); else whoever can tag an instance could
 * have any allowed secret (the production admin's password) sent to an endpoint
 * they control. Secrets Manager in moto, a real influxd 1.x, and a loopback
 * recorder standing in for the endpoint of the one who tagged.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CreateSecretCommand, SecretsManagerClient, TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { parseConfig } from '../../lib/config.js';
import { boundInstances } from '../../lib/evidence/audit/secrets.js';
import type { Finding, ScanDocument } from '../../lib/model.js';
import { scan } from '../../lib/scan.js';
import { seedEstate } from '../../scripts/estate.js';
import { influxQuery, startInfluxd, type RunningInfluxd } from '../../scripts/influxd.js';
import { AUDIT_CHECKS } from '../../lib/checks/audit.js';
import { endpoint, testAccount } from '../support/aws.js';

const R = 'eu-west-3';
const PW = 'Bind-admin-pw-5d0c9e17';
// Every check of the credentialed audit, as the registry has them.
const AUDIT_CHECK_IDS = AUDIT_CHECKS.map((c) => c.id);
let prod: RunningInfluxd;
/** The endpoint of whoever tagged an instance: it records what it is sent. */
let recorder: Server;
const received: { url: string; headers: IncomingHttpHeaders }[] = [];
const ids: Record<string, string> = {};
const arns: Record<string, string> = {};
let doc: ScanDocument;
let calls: Record<string, number>;

const findingsOf = (name: string, id: string): Finding[] => doc.findings.filter((f) => f.instanceId === ids[name] && f.checkId === id);

beforeAll(async () => {
  const account = await testAccount();
  prod = await startInfluxd({ auth: true });
  expect(await influxQuery(prod.url, `CREATE USER root WITH PASSWORD '${PW}' WITH ALL PRIVILEGES`)).toBe(200);
  recorder = createServer((req, res) => {
    received.push({ url: req.url ?? '', headers: req.headers });
    if (req.url === '/ping') res.writeHead(204, { 'x-influxdb-version': '1.8.10' }).end();
    else res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"authorization failed"}');
  });
  await new Promise<void>((r) => recorder.listen(0, '127.0.0.1', r));
  const recorderUrl = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`;

  const sm = new SecretsManagerClient({ region: R, endpoint: endpoint(), credentials: account.credentials });
  const admin = JSON.stringify({ username: 'root', password: PW });
  for (const name of ['prod', 'payments-admin', 'fleet'])
    arns[name] = (await sm.send(new CreateSecretCommand({ Name: `influxguard/${name}`, SecretString: admin }))).ARN!;

  const estate = await seedEstate(account.seeder(R), {
    region: R,
    groups: [{ name: 'vpc', rules: [{ ports: 8086, cidrs: ['10.0.0.0/16'] }] }],
    instances: [
      // The secret's own instance.
      { name: 'prod', groups: ['vpc'], tags: { influxdb: '', 'influxdb:endpoint': prod.url, 'influxdb:audit-secret': arns.prod! } },
      // Tagged by someone else with prod's secret (allowed, bound to prod only), pointing at their own endpoint.
      {
        name: 'copycat',
        groups: ['vpc'],
        tags: { influxdb: '', 'influxdb:endpoint': recorderUrl, 'influxdb:audit-secret': arns.prod! },
      },
      // Tagged with an allowed secret that no instance of this scan names legitimately.
      {
        name: 'thief',
        groups: ['vpc'],
        tags: { influxdb: '', 'influxdb:endpoint': recorderUrl, 'influxdb:audit-secret': arns['payments-admin']! },
      },
      // No tag: the operator's fleet secret, chosen explicitly, needs no binding.
      { name: 'untagged', groups: ['vpc'], tags: { influxdb: '', 'influxdb:endpoint': prod.url } },
    ],
  });
  for (const [name, [id]] of Object.entries(estate.instances)) ids[name] = id!;
  // The secrets' owner binds them: prod's to prod (among noise that must not count), payments-admin to an instance elsewhere.
  const bind = (arn: string, value: string) =>
    sm.send(new TagResourceCommand({ SecretId: arn, Tags: [{ Key: 'influxguard:instances', Value: value }] }));
  await bind(arns.prod!, `i-0000000000000000a,${ids.prod} I-0123456789ABCDEF0 x${ids.copycat}`);
  await bind(arns['payments-admin']!, 'i-0123456789abcdef0');
  sm.destroy();

  const config = parseConfig({
    regions: [R],
    probe: { enabled: true, allowedCidrs: ['127.0.0.0/8'], endpointCidrs: ['127.0.0.0/8'], responseTimeoutMs: 2500 },
    audit: { secrets: [`arn:aws:secretsmanager:${R}:${account.accountId}:secret:influxguard/*`], secretArn: arns.fleet },
  });
  const { clients, counter } = account.clients(config);
  doc = (await scan(config, { clients, homeRegion: R })).document;
  calls = counter.callsByOperation();
}, 90_000);

afterAll(async () => {
  recorder?.close();
  await prod?.stop();
});

describe('an audit secret named by an instance tag is bound to its instances', () => {
  it.each(['copycat', 'thief'])(
    '%s (tagged with an allowed secret not bound to it): every audit check NOT_AVAILABLE naming the binding',
    (name) => {
      for (const id of AUDIT_CHECK_IDS) {
        const f = findingsOf(name, id);
        expect(f.map((x) => x.status)).toEqual(['NOT_AVAILABLE']);
        expect(String(f[0]!.evidence.reason)).toContain(`is not bound to ${ids[name]} (tag influxguard:instances)`);
      }
    },
  );

  it('nothing is sent to their endpoint: no credentials, no audit statement (the probe alone spoke to it)', () => {
    expect(received.length).toBeGreaterThan(0);
    const basic = Buffer.from(`root:${PW}`).toString('base64');
    for (const r of received) {
      expect(r.headers.authorization ?? '').not.toContain(basic);
      expect(decodeURIComponent(r.url)).not.toMatch(/SHOW USERS|\/api\/v2\/authorizations/);
    }
  });

  it('the secret bound elsewhere is never read: DescribeSecret per tagged secret, GetSecretValue only for the bound and fleet secrets', () => {
    expect(calls['secretsmanager:DescribeSecret']).toBe(2);
    expect(calls['secretsmanager:GetSecretValue']).toBe(2);
  });

  it('the bound instance and the fleet secret: audited as before', () => {
    for (const name of ['prod', 'untagged']) expect(findingsOf(name, 'users.default-admin-name').map((f) => f.status)).toEqual(['FAILED']);
  });
});

describe('the influxguard:instances tag value (hostile)', () => {
  it('instance ids separated by spaces or commas; any other token does not count', () => {
    expect([...boundInstances('i-0123456789abcdef0, i-01234567,i-0a1b2c3d4e5f60718  x')]).toEqual([
      'i-0123456789abcdef0',
      'i-01234567',
      'i-0a1b2c3d4e5f60718',
    ]);
    expect([...boundInstances('I-0123456789ABCDEF0 i-0123456 i-0123456789abcdef01 i-0123456g *')]).toEqual([]);
  });
  it('a value longer than a tag value may be (256) binds nothing, rather than a truncated id', () => {
    expect([...boundInstances(`${'i-01234567 '.repeat(23)}i-0123456789abcdef0`)]).toEqual([]);
  });
});
