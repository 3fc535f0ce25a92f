/**
 * The credentialed audit in a scan: secrets in Secrets Manager (moto), named
 * by each instance's `influxdb:audit-secret` tag or given once with
 * `--audit-secret`, each bound to its instances by its own tags, audited over
 * TLS (certificates of the test CA, given with --audit-ca) against real
 * influxd 1.x servers on loopback.
 * A secret that is missing, unreachable, malformed or not allowed gives
 * NOT_AVAILABLE with the reason, never a pass.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { CreateSecretCommand, SecretsManagerClient, TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import type { Finding, ScanDocument } from '../../lib/model.js';
import { bindAuditSecrets, seedEstate, type EstateSpec } from '../../scripts/estate.js';
import { certificates, influxQuery, startInfluxd, type RunningInfluxd } from '../../scripts/influxd.js';
import { allAccessPermissions, cachedInfluxd, createToken, startInfluxd2, type RunningInfluxd2 } from '../../scripts/influxd2.js';
import { endpoint, testAccount, type TestAccount } from '../support/aws.js';
import { runCli } from '../support/cli.js';

const R = 'eu-west-1';
const PW = 'Sc4n-admin-pw-81f3a2c7';
const USER_CHECKS = ['users.admin-privileges', 'users.stale-unprivileged', 'users.default-admin-name'];
let account: TestAccount;
let planted: RunningInfluxd;
let clean: RunningInfluxd;
/** InfluxDB 2.7.12, when its build is cached: an extra all-access token, audited with the operator token from a secret. */
const v2Binary = cachedInfluxd('2.7.12');
let v2: RunningInfluxd2 | undefined;
const arns: Record<string, string> = {};
let instances: Record<string, string> = {};
let tagged: ScanDocument;
let fleet: ScanDocument;
let unreachable: ScanDocument;
let env: Record<string, string>;

const findings = (doc: ScanDocument, name: string, id: string): Finding[] =>
  doc.findings.filter((f) => f.instanceId === instances[name] && f.checkId === id);
const statusOf = (doc: ScanDocument, name: string, id: string) => findings(doc, name, id).map((f) => f.status);
const reasonOf = (doc: ScanDocument, name: string, id: string) => String(findings(doc, name, id)[0]?.evidence.reason ?? '');

beforeAll(async () => {
  account = await testAccount();
  const https = 'valid.combined.pem';
  [planted, clean] = await Promise.all([startInfluxd({ auth: true, https }), startInfluxd({ auth: true, https })]);
  expect(await influxQuery(planted.url, `CREATE USER root WITH PASSWORD '${PW}' WITH ALL PRIVILEGES`)).toBe(200);
  for (const s of [
    "CREATE USER ops WITH PASSWORD 'o-pw-1' WITH ALL PRIVILEGES",
    'CREATE DATABASE db',
    "CREATE USER all_db WITH PASSWORD 'a-pw-1'",
    'GRANT ALL ON db TO all_db',
    "CREATE USER idle WITH PASSWORD 'i-pw-1'",
  ])
    expect(await influxQuery(planted.url, s, ['root', PW])).toBe(200);
  expect(await influxQuery(clean.url, `CREATE USER keeper WITH PASSWORD '${PW}' WITH ALL PRIVILEGES`)).toBe(200);

  const sm = new SecretsManagerClient({ region: R, endpoint: endpoint(), credentials: account.credentials });
  const secret = async (name: string, value: string) =>
    (arns[name] = (await sm.send(new CreateSecretCommand({ Name: name, SecretString: value }))).ARN!);
  await secret('influxguard/planted', JSON.stringify({ username: 'root', password: PW }));
  await secret('influxguard/clean', JSON.stringify({ username: 'keeper', password: PW }));
  await secret('influxguard/wrong', JSON.stringify({ username: 'root', password: 'wrong-pw-0a1b2c' }));
  await secret('influxguard/malformed', JSON.stringify({ user: 'root', pass: PW }));
  await secret('elsewhere/other-team', JSON.stringify({ username: 'root', password: PW }));
  if (v2Binary) {
    v2 = await startInfluxd2(v2Binary, https);
    await createToken(v2, 'ci pipeline', allAccessPermissions(v2.orgID, v2.userID));
    await secret('influxguard/v2', JSON.stringify({ token: v2.token }));
  }
  const missing = `arn:aws:secretsmanager:${R}:${account.accountId}:secret:influxguard/deleted-AbCdEf`;

  const spec: EstateSpec = {
    region: R,
    groups: [{ name: 'vpc', rules: [{ ports: 8086, cidrs: ['10.0.0.0/16'] }] }],
    instances: [
      {
        name: 'planted',
        groups: ['vpc'],
        tags: { influxdb: '', 'influxdb:endpoint': planted.url, 'influxdb:audit-secret': arns['influxguard/planted']! },
      },
      {
        name: 'clean',
        groups: ['vpc'],
        tags: { influxdb: '', 'influxdb:endpoint': clean.url, 'influxdb:audit-secret': arns['influxguard/clean']! },
      },
      {
        name: 'wrong',
        groups: ['vpc'],
        tags: { influxdb: '', 'influxdb:endpoint': planted.url, 'influxdb:audit-secret': arns['influxguard/wrong']! },
      },
      {
        name: 'malformed',
        groups: ['vpc'],
        tags: { influxdb: '', 'influxdb:endpoint': clean.url, 'influxdb:audit-secret': arns['influxguard/malformed']! },
      },
      { name: 'missing', groups: ['vpc'], tags: { influxdb: '', 'influxdb:endpoint': clean.url, 'influxdb:audit-secret': missing } },
      {
        name: 'foreign',
        groups: ['vpc'],
        tags: { influxdb: '', 'influxdb:endpoint': clean.url, 'influxdb:audit-secret': arns['elsewhere/other-team']! },
      },
      { name: 'untagged', groups: ['vpc'], tags: { influxdb: '', 'influxdb:endpoint': clean.url } },
      ...(v2
        ? [
            {
              name: 'v2',
              groups: ['vpc'],
              tags: { influxdb: '', 'influxdb:endpoint': v2.url, 'influxdb:audit-secret': arns['influxguard/v2']! },
            },
          ]
        : []),
    ],
  };
  const estate = await seedEstate(account.seeder(R), spec);
  // Each secret's owner binds it to the instances that name it (the foreign one too: audit.secrets still refuses it).
  await bindAuditSecrets(sm, spec, estate, Object.values(arns));
  instances = Object.fromEntries(Object.entries(estate.instances).map(([k, v]) => [k, v[0]!]));
  // The secret given with --audit-secret below is bound to the untagged instance too (a second binding tag).
  await sm.send(
    new TagResourceCommand({
      SecretId: arns['influxguard/clean'],
      Tags: [{ Key: 'influxguard:instances:2', Value: instances.untagged! }],
    }),
  );
  sm.destroy();
  env = {
    ...account.env(R),
    INFLUXGUARD_PROBE_ENABLED: 'true',
    INFLUXGUARD_AUDIT_SECRETS: `arn:aws:secretsmanager:${R}:${account.accountId}:secret:influxguard/*`,
  };
  const scan = async (args: string[], extra: Record<string, string> = {}) => {
    const ca = ['--audit-ca', join(certificates(), 'ca.pem')];
    const r = await runCli(['scan', '--format', 'json', '--fail-on', 'none', ...ca, ...args], { ...env, ...extra });
    expect(r.stderr).not.toMatch(/internal error/);
    return JSON.parse(r.stdout) as ScanDocument;
  };
  tagged = await scan([]);
  fleet = await scan(['--audit-secret', arns['influxguard/clean']!]);
  // Secrets Manager unreachable (a closed port): the audit is not available, the rest of the scan goes on.
  unreachable = await scan([], { AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:9' });
}, 120_000);

afterAll(async () => {
  await Promise.all([planted?.stop(), clean?.stop(), v2?.stop()]);
});

describe('a scan with audit secrets named by instance tags', () => {
  it('the planted server: each planted problem FAILED', () => {
    expect(statusOf(tagged, 'planted', 'users.admin-privileges')).toEqual(['FAILED']);
    expect(findings(tagged, 'planted', 'users.admin-privileges')[0]!.evidence).toMatchObject({
      admins: expect.arrayContaining(['root', 'ops']),
      allPrivilegesOnEveryDatabase: ['all_db'],
    });
    expect(statusOf(tagged, 'planted', 'users.stale-unprivileged')).toEqual(['FAILED']);
    expect(findings(tagged, 'planted', 'users.stale-unprivileged')[0]!.evidence.unprivilegedUsers).toEqual(['idle']);
    expect(statusOf(tagged, 'planted', 'users.default-admin-name')).toEqual(['FAILED']);
  });

  it('the clean server: every users.* check PASSED', () => {
    for (const id of USER_CHECKS) expect(statusOf(tagged, 'clean', id)).toEqual(['PASSED']);
  });

  it.each([
    ['wrong', /wrong user name or password/],
    ['malformed', /must hold \{"username","password"\} .*keys found: user, pass/],
    ['missing', /could not be read: .*ResourceNotFound/],
    ['foreign', /not among audit\.secrets.*credentials not read/],
  ])('%s secret: each users.* check NOT_AVAILABLE with the reason', (name, reason) => {
    for (const id of USER_CHECKS) {
      expect(statusOf(tagged, name, id)).toEqual(['NOT_AVAILABLE']);
      expect(reasonOf(tagged, name, id)).toMatch(reason);
    }
  });

  it('an instance without a secret has no audit findings (and its probe findings as before)', () => {
    for (const id of USER_CHECKS) expect(findings(tagged, 'untagged', id)).toHaveLength(0);
    expect(statusOf(tagged, 'untagged', 'auth.disabled')).toEqual(['PASSED']);
  });
});

(v2Binary ? it : it.skip)(
  'a 2.x instance audited with a token from its secret: the extra all-access token FAILED, no users.* finding',
  () => {
    expect(statusOf(tagged, 'v2', 'tokens.all-access-excess')).toEqual(['FAILED']);
    expect(statusOf(tagged, 'v2', 'tokens.write-all-buckets')).toEqual(['PASSED']);
    expect(statusOf(tagged, 'v2', 'tokens.inactive-user-active')).toEqual(['PASSED']);
    for (const id of USER_CHECKS) expect(findings(tagged, 'v2', id)).toHaveLength(0);
    expect(JSON.stringify([tagged, fleet, unreachable]).includes(v2!.token)).toBe(false);
  },
);

describe('--audit-secret (one secret for the fleet)', () => {
  it('audits instances without their own tag with it; a tag still wins', () => {
    for (const id of USER_CHECKS) expect(statusOf(fleet, 'untagged', id)).toEqual(['PASSED']);
    expect(statusOf(fleet, 'planted', 'users.default-admin-name')).toEqual(['FAILED']);
  });
});

describe('Secrets Manager unreachable', () => {
  it('the audit is NOT_AVAILABLE with the reason; the probe checks still ran', () => {
    for (const id of USER_CHECKS) {
      expect(statusOf(unreachable, 'planted', id)).toEqual(['NOT_AVAILABLE']);
      expect(reasonOf(unreachable, 'planted', id)).toMatch(/could not be read/);
    }
    expect(statusOf(unreachable, 'planted', 'auth.disabled')).toEqual(['PASSED']);
  });
});

it('no password appears in any scan document', () => {
  for (const doc of [tagged, fleet, unreachable]) {
    const text = JSON.stringify(doc);
    for (const s of [PW, 'wrong-pw-0a1b2c', Buffer.from(`root:${PW}`).toString('base64')]) expect(text.includes(s)).toBe(false);
  }
});
